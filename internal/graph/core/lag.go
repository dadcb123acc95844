// Package core holds the Graph engine's decisions, with no goroutines, no clock, no I/O and no locks:
// time and Graph's answers come in as values, a decision goes out. DESIGN.md's Graph section lists each
// rule with the file and function that implement it; each has a row in this package's table tests.
package core

import "time"

// The lag model (DESIGN.md, "Graph engine v3"): every window derives from one bound, L, the declared
// replication lag widened by the longest lag the process observed. A read started at t shows every
// write Graph committed before t-L.

// DefaultReplicationLag is L when none is declared: Entra ID replicas usually agree within a second or two.
const DefaultReplicationLag = 3 * time.Second

// Lag is the lag model of one process: the configured bound (zero or negative: the directory is
// declared lag-free) and the longest lag this process observed (Widen).
type Lag struct{ Declared, Observed time.Duration }

// Bound is L: the declared bound, or the longest lag this process observed when that is longer.
func (l Lag) Bound() time.Duration { return max(l.Declared, l.Observed, 0) }

// FreshFrom is when a read first shows every change an earlier command reported (each is older than
// the command): L after the command started.
func (l Lag) FreshFrom(commandStart time.Time) time.Time { return commandStart.Add(l.Bound()) }

// SettleHorizon is how long after this process's last write of an application a read must start to
// see another writer's overwrite of it. That writer read before T+L (T our write) on a replica
// without it, built on that read for up to WriteReuse and committed before T+L+WriteReuse; a read
// shows it L later.
func (l Lag) SettleHorizon() time.Duration { return 2*l.Bound() + WriteReuse }

// OverwriteAfter is how long a confirmed change of this process may stay missing from reads before
// it is taken as overwritten by another writer: twice the bound, and at least WriteReuse.
func (l Lag) OverwriteAfter() time.Duration { return max(2*l.Bound(), WriteReuse) }

// Widen returns the observed lag once a read missed a write made d ago: the lag is at least d. A
// write missing for twice the declared bound (at least WriteReuse) is an overwrite, not lag, and is
// not recorded: recording it would widen every later window without end.
func (l Lag) Widen(d time.Duration) time.Duration {
	if d >= max(2*max(l.Declared, 0), WriteReuse) {
		return l.Observed
	}
	return max(l.Observed, d)
}

// NotFoundPolicy returns how 404s for an application are retried: for L while this process has not
// written it (a new ID replicating), for NotFoundAfterWriteWindow once it has (a replica behind us).
func (l Lag) NotFoundPolicy(written bool) (RetryReason, time.Duration) {
	if written {
		return ReasonNotFoundAfterWrite, NotFoundAfterWriteWindow
	}
	return ReasonNotFoundFirstLookup, l.Bound()
}

// The reuse rule: what an earlier read (the application as of when it started) may be used for
// instead of a new GET; App.Cached and App.Base apply it to the latest read.

// MayBuildOnSent reports whether what was sent, built on a read started at based, may still be built
// on at now (by absorbed operations, by a resend): while that read is at most WriteReuse old.
func MayBuildOnSent(based, now time.Time) bool {
	return !based.IsZero() && now.Sub(based) <= WriteReuse
}

// ReadAtOnce reports whether a reader without a usable read reads at once rather than first waiting
// until from (the plan-time absence window): when the item may hold (checks) or from passed.
func ReadAtOnce(checks bool, now, from time.Time) bool { return checks || !now.Before(from) }

// Decides reports whether a usable read started at readAt answers the reader: the item holds, or the
// read started at or after from.
func Decides(holds bool, readAt, from time.Time) bool { return holds || !readAt.Before(from) }

// The engine's other bounds: none is a replication window, each bounds a cost of its own.
const (
	WriteReuse               = time.Second            // the oldest read a write builds on (DESIGN.md, "A base fresh enough")
	ReadReuse                = 30 * time.Second       // how long a read serves readers: a plan spreads an agent's refreshes
	GatherWindow             = 100 * time.Millisecond // a round's wait for as many ops: Terraform sends them ~100 ms later
	GatherGap                = 10 * time.Millisecond  // and for more while they keep coming: Terraform's parallel calls arrive together
	VisibilityWindow         = 50 * time.Millisecond  // a batch of visibility lookups waits for more
	NotFoundAfterWriteWindow = 2 * time.Minute        // bounds the 404 retries for an application this process wrote
	DefaultTimeout           = 5 * time.Minute        // bounds an operation whose context has no deadline
	RequestTimeout           = 30 * time.Second       // bounds one attempt: a hung connection costs one, not the budget
	MaxReapply               = 8                      // how often a change another writer overwrote is applied again
)
