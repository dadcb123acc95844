package graph

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Stats are counters of what a Client sent to Graph, for tests, benchmarks and logs.
type Stats struct {
	// Gets is the number of GET requests sent, including retries and confirmation reads.
	Gets int64
	// Patches is the number of PATCH requests sent, including retries.
	Patches int64
	// ConfirmReads is the number of GETs made to confirm a write (included in Gets).
	ConfirmReads int64
	// Batches is the number of group-commit rounds that sent a PATCH.
	Batches int64
	// Mutations is the number of mutations (one per operation and round) the batches carried.
	Mutations int64
	// Reapplies counts changes applied again because another writer had overwritten them.
	Reapplies int64
	// SharedReads is the number of reads answered by another caller's in-flight GET.
	SharedReads int64
	// Retries counts repeated calls by reason.
	Retries map[RetryReason]int64
}

// TotalRetries sums Retries.
func (s Stats) TotalRetries() int64 {
	var n int64
	for _, v := range s.Retries {
		n += v
	}
	return n
}

type statsCollector struct {
	gets, patches, confirmReads, batches, mutations, sharedReads, reapplies atomic.Int64

	mu      sync.Mutex
	retries map[RetryReason]int64
}

func (s *statsCollector) init() { s.retries = make(map[RetryReason]int64) }

func (s *statsCollector) addRetry(r RetryReason) {
	s.mu.Lock()
	s.retries[r]++
	s.mu.Unlock()
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
		Retries:      maps.Clone(c.stats.retries),
	}
}
