package core

import "time"

// The lag model: every window of the engine derives from one bound, L, the directory's replication
// lag (declared, widened by the longest lag the process observed): a read started at t shows every
// write Graph committed before t-L. Absence (a Read reporting an item gone), a difference from
// Terraform's state, and the base of a write are decided only on a read started at FreshFrom or
// later: sequential safety at the start of a command, instead of a wait at the end of every command.

// DefaultReplicationLag is the bound L used when none is declared: Entra ID replicas are usually
// consistent within a second or two.
const DefaultReplicationLag = 3 * time.Second

// Lag is the lag model of one process.
type Lag struct {
	// Declared is the configured bound; zero or negative when the directory is declared lag-free.
	Declared time.Duration
	// Observed is the longest lag this process observed (Widen).
	Observed time.Duration
	// WriteReuse is how old a read may be for a write to build on it (Reuse).
	WriteReuse time.Duration
}

// Bound is L: the declared bound, or the longest lag this process observed when that is longer.
func (l Lag) Bound() time.Duration { return max(l.Declared, l.Observed, 0) }

// FreshFrom is when a read first shows every change an earlier command reported (each is older than
// the command): L after the command started.
func (l Lag) FreshFrom(commandStart time.Time) time.Time { return commandStart.Add(l.Bound()) }

// SettleHorizon is how long after this process's last write of an application a read must start to
// see another writer's overwrite of it. That writer read before T+L (T our write) on a replica
// without it, built on that read for up to WriteReuse and committed before T+L+WriteReuse; a read
// shows it L later.
func (l Lag) SettleHorizon() time.Duration { return 2*l.Bound() + max(l.WriteReuse, 0) }

// OverwriteAfter is how long a confirmed change of this process may stay missing from reads before
// it is taken as overwritten by another writer: twice the bound, and at least WriteReuse.
func (l Lag) OverwriteAfter() time.Duration { return max(2*l.Bound(), l.WriteReuse, 0) }

// Widen returns the observed lag once a read missed a write made d ago: the lag is at least d. A
// write missing for twice the declared bound (at least WriteReuse) is an overwrite, not lag, and is
// not recorded: recording it would widen every later window without end.
func (l Lag) Widen(d time.Duration) time.Duration {
	if d >= max(2*max(l.Declared, 0), l.WriteReuse) {
		return l.Observed
	}
	return max(l.Observed, d)
}
