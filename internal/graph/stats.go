package graph

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
)

// statsCollector is what the client tells besides its errors: counters of what it sends (core.Stats)
// and, under mu with the retries, what users should be told although nothing failed (core.Notices).
type statsCollector struct {
	gets, patches, confirmReads, batches, mutations, sharedReads, reapplies atomic.Int64

	mu      sync.Mutex
	retries map[core.RetryReason]int64
	notices core.Notices
}

func (s *statsCollector) addRetry(r core.RetryReason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retries[r]++
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() core.Stats {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	return core.Stats{
		Gets:         c.stats.gets.Load(),
		Patches:      c.stats.patches.Load(),
		ConfirmReads: c.stats.confirmReads.Load(),
		Batches:      c.stats.batches.Load(),
		Mutations:    c.stats.mutations.Load(),
		SharedReads:  c.stats.sharedReads.Load(),
		Reapplies:    c.stats.reapplies.Load(),
		Retries:      maps.Clone(c.stats.retries),
	}
}

// notify records n once (by kind, application and detail).
func (c *Client) notify(n core.Notice) {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	c.stats.notices.Add(n)
}

// TakeNotices returns the notices not taken yet; each notice is returned once.
func (c *Client) TakeNotices() []core.Notice {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	return c.stats.notices.Take()
}

// markForeignLocked records that another writer changed the application. Caller holds w.mu.
func (w *appWorker) markForeignLocked() {
	if !w.foreign && !w.c.cfg.ConcurrentWriters {
		w.c.notify(core.Notice{Kind: core.NoticeForeignWriter, ObjectID: w.objectID})
	}
	w.foreign = true
}

// notConfirmed tells the user that the change of operation name, answered as made, is not in Graph.
func (w *appWorker) notConfirmed(name string, err error) {
	w.c.notify(core.Notice{Kind: core.NoticeNotConfirmed, ObjectID: w.objectID, Detail: fmt.Sprintf("%s: %v", name, err)})
}
