package counters_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/counters"
)

// Every request is counted once under its route's name, before the handler runs; "" is not counted;
// Reset zeroes every route.
func TestSetCountsEachRequestOnce(t *testing.T) {
	var set counters.Set
	var servedUncounted atomic.Int32
	h := set.Wrap(func(r *http.Request) string { return r.URL.Query().Get("route") }, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if route := r.URL.Query().Get("route"); route != "" && set.Get(route) == 0 {
			servedUncounted.Add(1)
		}
	}))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/?route=a", nil))
		})
	}
	wg.Wait()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/?route=b", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	if got := set.Snapshot(); len(got) != 2 || got["a"] != 50 || got["b"] != 1 {
		t.Fatalf("counters = %v, want a: 50, b: 1 and nothing else", got)
	}
	if n := servedUncounted.Load(); n != 0 {
		t.Errorf("the handler served %d requests before they were counted", n)
	}
	set.Reset()
	if got := set.Snapshot(); len(got) != 0 || set.Get("a") != 0 {
		t.Fatalf("after Reset: %v", got)
	}
}
