package graph

import (
	"maps"
	"sync"
	"sync/atomic"
)

// statsCollector counts what the client sends (core.Stats).
type statsCollector struct {
	gets, patches, confirmReads, batches, mutations, sharedReads, reapplies atomic.Int64

	mu      sync.Mutex
	retries map[RetryReason]int64
}

func (s *statsCollector) addRetry(r RetryReason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retries == nil {
		s.retries = make(map[RetryReason]int64)
	}
	s.retries[r]++
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	return Stats{
		Gets:         c.stats.gets.Load(),
		Patches:      c.stats.patches.Load(),
		ConfirmReads: c.stats.confirmReads.Load(),
		Batches:      c.stats.batches.Load(),
		Mutations:    c.stats.mutations.Load(),
		SharedReads:  c.stats.sharedReads.Load(),
		Reapplies:    c.stats.reapplies.Load(),
		Retries:      maps.Collect(maps.All(c.stats.retries)), // never nil
	}
}
