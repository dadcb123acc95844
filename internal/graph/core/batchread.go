package core

import "time"

// The read batcher's queue (DESIGN.md, "Reads of different applications share requests"): which
// waiting reads the next request takes, and how long its sender lingers for more.

// Queued is one read waiting in a batcher's queue.
type Queued struct {
	// ID names the object (lower case); Presence marks a presence lookup (it may linger, and not
	// being listed is its answer); At is when it joined the queue.
	ID       string
	Presence bool
	At       time.Time
}

// Entry returns q; the driver's waiters embed a Queued.
func (q *Queued) Entry() *Queued { return q }

// Waiting is a read in a queue.
type Waiting interface{ Entry() *Queued }

// LingerFor is Linger of the queue q at now.
func LingerFor[W Waiting](q []W, now time.Time, window time.Duration) time.Duration {
	if len(q) == 0 {
		return 0
	}
	named, presenceOnly := make(map[string]bool), true
	for _, w := range q {
		presenceOnly = presenceOnly && w.Entry().Presence
		named[w.Entry().ID] = true
	}
	return Linger(presenceOnly, len(named), q[0].Entry().At, now, window)
}

// Take splits the queue q for the next request: batch are the reads it answers, naming ids (at most
// MaxListBatch distinct objects, in queue order; a read of an object already named joins at no
// cost), rest stay queued, and dropped are those whose caller gave up (gone).
func Take[W Waiting](q []W, gone func(W) bool) (batch, rest, dropped []W, ids []string) {
	named := make(map[string]bool)
	for _, w := range q {
		id := w.Entry().ID
		switch {
		case gone(w):
			dropped = append(dropped, w)
		case named[id] || len(ids) < MaxListBatch:
			if !named[id] {
				named[id] = true
				ids = append(ids, id)
			}
			batch = append(batch, w)
		default:
			rest = append(rest, w)
		}
	}
	return batch, rest, dropped, ids
}
