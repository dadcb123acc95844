package core

import "time"

// Settling: the process's last operation waits until every application it wrote that is shared with
// other writers has had its window since its last write, then a read of each decides whether this
// process's changes survived (the driver restores those that did not, a new write with its own
// window).

// SettleEnd returns when the settle window (SettleHorizon) after an application's last write ends;
// zero when there is nothing to wait for: no write, the last write has settled, or the application
// is not shared (no other writer declared nor seen on it: a later command is safe without the wait,
// FreshFrom). The window applies even when this process observed no lag: a writer whose changes all
// came after our reads is invisible until then, and its replica may be behind the one that served
// ours.
func (l Lag) SettleEnd(lastWrite, settled time.Time, shared bool) time.Time {
	if lastWrite.IsZero() || !settled.Before(lastWrite) || !shared {
		return time.Time{}
	}
	return lastWrite.Add(l.SettleHorizon())
}

// SettleDue decides the last operation's next step from the applications' window ends (zero: nothing
// to settle): while a window is still ahead, wait until the latest end (due); else read the
// applications whose windows have ended (watch, their indexes).
func SettleDue(now time.Time, ends []time.Time) (due time.Time, watch []int) {
	for i, end := range ends {
		switch {
		case end.IsZero():
		case end.After(now):
			if end.After(due) {
				due = end
			}
		default:
			watch = append(watch, i)
		}
	}
	if !due.IsZero() {
		return due, nil
	}
	return time.Time{}, watch
}
