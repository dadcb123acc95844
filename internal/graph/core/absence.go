package core

import "time"

// The plan-time absence window (DESIGN.md, "Read-your-writes and an absence window"): a process
// without memory of a change (the plan after an apply) decides that an item is missing, or differs
// from Terraform's state, only on a read started at or after from (Lag.FreshFrom).

// ReadAtOnce reports whether a reader without a usable read reads at once rather than first waiting
// until from: when the item may hold (checks) or the window has passed.
func ReadAtOnce(checks bool, now, from time.Time) bool { return checks || !now.Before(from) }

// Decides reports whether a usable read started at readAt answers the reader: the item holds, or
// the read started at or after from.
func Decides(holds bool, readAt, from time.Time) bool { return holds || !readAt.Before(from) }
