package core

import "time"

// The reuse rule: what a read made earlier may be used for instead of a new GET. A read is the
// application as of when it started; each use has its own bound, decided only here.

// MayServe reports whether a read started at at may answer a reader at now (a refresh, a lookup, the
// base of a decision that starts at notBefore): it started at notBefore or later and is at most
// readReuse old (negative: never).
func MayServe(at, notBefore, now time.Time, readReuse time.Duration) bool {
	return !at.Before(notBefore) && readReuse >= 0 && now.Sub(at) <= readReuse
}

// MayBuildOn reports whether a round may build its PATCH on a read started at at instead of reading:
// the read started at FreshFrom or later, is at most WriteReuse old (negative: every round reads),
// and is trusted (distrusted: another writer was seen, a round asked for a new read, or the read
// lacks a change this process confirmed).
func (l Lag) MayBuildOn(at, commandStart, now time.Time, distrusted bool) bool {
	return !distrusted && !at.IsZero() && !at.Before(l.FreshFrom(commandStart)) && l.WriteReuse >= 0 &&
		now.Sub(at) <= l.WriteReuse
}

// MayBuildOnSent reports whether what was sent, built on a read started at based, may still be built
// on at now (by absorbed operations, by a resend): while that read is at most WriteReuse old.
func (l Lag) MayBuildOnSent(based, now time.Time) bool {
	return !based.IsZero() && now.Sub(based) <= max(l.WriteReuse, 0)
}

// ReadAtOnce reports whether a reader without a usable read reads at once rather than first waiting
// until from (the plan-time absence window, DESIGN.md): when the item may hold (checks) or from passed.
func ReadAtOnce(checks bool, now, from time.Time) bool { return checks || !now.Before(from) }

// Decides reports whether a usable read started at readAt answers the reader: the item holds, or the
// read started at or after from.
func Decides(holds bool, readAt, from time.Time) bool { return holds || !readAt.Before(from) }
