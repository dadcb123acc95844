package core

import (
	"cmp"
	"fmt"
	"time"
)

// Settling: the process's last operation waits out the window after its last write of every shared
// application, then a read of each decides whether this process's changes survived.

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

// Settle is one last operation's wait. The driver (settle.go) tells Next what it sees and does what
// it answers; a new operation wakes it, and it asks again.
type Settle struct {
	// Detached says the caller's context ended and the wait goes on, on a context of its own: the
	// operations that returned at once rely on this one to settle (DESIGN.md, v3 rule 4).
	Detached bool
}

// SettleStep is what a last operation does next: return (Done); wait for the confirmation in
// progress (its callers were answered at commit); wait until a window ends (Until); or read the
// applications whose windows have ended (Watch, indexes of ends). Detach > 0 says to go on, from
// now, on a context of its own bounded by it: the rest of the window, one settle horizon, one request.
type SettleStep struct {
	Done, AwaitConfirmation bool
	Until                   time.Time
	Watch                   []int
	Detach                  time.Duration
}

// Next decides the next step at now from whether a confirmation runs, the applications' window ends
// (SettleDue) and whether the caller's context has ended.
func (s *Settle) Next(now time.Time, confirming bool, ends []time.Time, callerGone bool, l Lag, request time.Duration) (step SettleStep) {
	due, watch := SettleDue(now, ends)
	if !confirming && due.IsZero() && len(watch) == 0 {
		return SettleStep{Done: true}
	}
	if callerGone && !s.Detached {
		s.Detached, step.Detach = true, max(due.Sub(now), 0)+l.SettleHorizon()+request
	}
	switch {
	case confirming:
		step.AwaitConfirmation = true
	case !due.IsZero():
		step.Until = due
	default:
		step.Watch = watch
	}
	return step
}

// Reports says whether a failed read of a watch is the caller's error: a read its caller gave up
// during, before the wait detached, is made again on a context of its own.
func (s *Settle) Reports(callerLive bool) bool { return callerLive || s.Detached }

// Told decides what the caller of operation name is told once its op was answered (DESIGN.md, v3
// rules 4 and 5). err is the op's own outcome; gaveUp, when set, is the end of the caller's context,
// which came while a round had the op; settled is the settle's outcome (settleEnded: a context's
// end); late is what the confirmation found wrong after the op was answered at commit. The caller
// gets opErr with settleErr (both nil: success); notice goes to the user instead when the caller
// gave up (Graph committed the change, so Terraform records it as made).
func Told(name string, err, gaveUp, settled, late error, settleEnded bool) (opErr, settleErr, notice error) {
	switch {
	case late != nil && gaveUp != nil:
		notice = late
	case late != nil && err == nil:
		err = fmt.Errorf("%s: %w", name, late) // its confirmation failed while it settled
	}
	switch {
	case err == nil && settled == nil:
		return nil, nil, notice
	case gaveUp != nil:
		err = cmp.Or(err, gaveUp)
	case err != nil && settleEnded:
		settled = nil // the caller's own end, already in err
	}
	return err, settled, notice
}
