// Package counters is the emulator's one request counter: how many requests each route received since
// the start or the last reset. The emulator's router counts every request through Set.Wrap (router.go);
// the admin API (`GET /_emulator/counters`, Admin.Counters), the figures and the tests all read that
// one Set. A test of a single part (graphapi's) counts through the same Wrap.
package counters

import (
	"net/http"
	"sync"
	"sync/atomic"
)

// Set counts requests per route name. The zero value is ready to use; it is safe for concurrent use.
type Set struct {
	mu sync.RWMutex
	m  map[string]*atomic.Int64
}

// Wrap counts each request under route(r) (nothing when route returns "") before h serves it.
func (s *Set) Wrap(route func(*http.Request) string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name := route(r); name != "" {
			s.add(name)
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Set) add(route string) {
	s.mu.RLock()
	c, ok := s.m[route]
	s.mu.RUnlock()
	if !ok {
		s.mu.Lock()
		if c, ok = s.m[route]; !ok {
			if s.m == nil {
				s.m = map[string]*atomic.Int64{}
			}
			c = &atomic.Int64{}
			s.m[route] = c
		}
		s.mu.Unlock()
	}
	c.Add(1)
}

// Snapshot returns the number of requests per route (routes without requests are absent).
func (s *Set) Snapshot() map[string]int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]int64, len(s.m))
	for k, c := range s.m {
		out[k] = c.Load()
	}
	return out
}

// Get returns the number of requests of one route.
func (s *Set) Get(route string) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.m[route]; ok {
		return c.Load()
	}
	return 0
}

// Reset sets every counter to zero.
func (s *Set) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = nil
}
