package core

import "time"

// The read batcher (DESIGN.md, "Reads of different applications share requests"): reads of
// different applications needed at the same moment share one filtered list; these rules say which
// waiting reads the next request takes, and how long its sender lingers for more.

const (
	// MaxListBatch is how many IDs one filtered list names: Graph accepts at most 15 values in an
	// "in" clause of $filter.
	MaxListBatch = 15
	// ReadStallAfter is how long a request in flight holds the reads queued behind it.
	ReadStallAfter = time.Second
	// MaxListOmissions is how many applications lists may leave out that a single GET then finds
	// before the client stops listing: each costs a list and a GET where a GET would do.
	MaxListOmissions = 5
)

// Queued is one read waiting in a batcher's queue: ID names the object (lower case); Presence marks
// a presence lookup (it may linger, and not being listed is its answer); At is when it joined.
type Queued struct {
	ID       string
	Presence bool
	At       time.Time
}

// Entry returns q; the driver's waiters embed a Queued.
func (q *Queued) Entry() *Queued { return q }

// Waiting is a read in a queue.
type Waiting interface{ Entry() *Queued }

// LingerFor returns how much longer a sender waits at now for more reads before it sends the queue
// q: only while q holds nothing but presence lookups (plan-time visibility checks), naming fewer
// than MaxListBatch objects, until the oldest of them has waited window.
func LingerFor[W Waiting](q []W, now time.Time, window time.Duration) time.Duration {
	named, presenceOnly := make(map[string]bool), true
	for _, w := range q {
		presenceOnly = presenceOnly && w.Entry().Presence
		named[w.Entry().ID] = true
	}
	if len(q) == 0 || !presenceOnly || len(named) >= MaxListBatch {
		return 0
	}
	return window - now.Sub(q[0].Entry().At)
}

// Stalled reports whether the reads queued need a sender of their own: none runs, or every sender
// waits for an answer and the latest request went out ReadStallAfter ago or more (a hung connection
// must not hold the queue).
func Stalled(senders, inRequest int, sentAt, now time.Time) bool {
	return senders == 0 || inRequest == senders && now.Sub(sentAt) >= ReadStallAfter
}

// Take splits the queue q for the next request: batch are the reads it answers, naming ids (at most
// MaxListBatch distinct objects, in queue order; a read of an object already named joins at no
// cost), rest stay queued; those whose caller gave up (gone) are dropped.
func Take[W Waiting](q []W, gone func(W) bool) (batch, rest []W, ids []string) {
	named := make(map[string]bool)
	for _, w := range q {
		id := w.Entry().ID
		switch {
		case gone(w): // dropped
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
	return batch, rest, ids
}

// ListRefusal says what Graph's refusal of a filtered list (status) means for its batch: alone, each
// read is sent as its own GET (a 400: something in this list does not suit Graph; a 403: the
// identity may not list but may read its own applications one by one), and off, lists are turned
// off for the client (the 403).
func ListRefusal(status int) (alone, off bool) { return status == 400 || status == 403, status == 403 }
