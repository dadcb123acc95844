package core

import "time"

// The read batcher's rules (DESIGN.md, "Reads of different applications share requests"): reads of
// different applications needed at the same moment share one filtered list.

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

// Linger returns how much longer a sender waits for more reads before it sends its queue: only while
// the queue holds nothing but presence lookups (plan-time visibility checks), naming fewer than
// MaxListBatch objects, until the oldest of them, queued at oldest, has waited window.
func Linger(presenceOnly bool, named int, oldest, now time.Time, window time.Duration) time.Duration {
	if !presenceOnly || named == 0 || named >= MaxListBatch {
		return 0
	}
	return window - now.Sub(oldest)
}

// Stalled reports whether the reads queued behind the requests in flight need a sender of their own:
// every sender waits for an answer and the latest request went out ReadStallAfter ago or more (a
// hung connection must not hold the queue).
func Stalled(senders, inRequest int, sentAt, now time.Time) bool {
	return inRequest == senders && now.Sub(sentAt) >= ReadStallAfter
}
