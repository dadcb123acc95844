package core

import (
	"cmp"
	"fmt"
	"time"
)

// SettleEnd returns when the settle window (SettleHorizon) after an application's last write ends;
// zero when there is nothing to wait for: no write, the last write has settled, or the application
// is not shared (no other writer declared nor seen on it).
func (l Lag) SettleEnd(lastWrite, settled time.Time, shared bool) time.Time {
	if lastWrite.IsZero() || !settled.Before(lastWrite) || !shared {
		return time.Time{}
	}
	return lastWrite.Add(l.SettleHorizon())
}

// Settle is one last operation's wait; Detached says its caller's context ended and the wait goes
// on, on a context of its own (DESIGN.md, v3 rule 4).
type Settle struct{ Detached bool }

// SettleStep is what a last operation does next: return (Done), wait until Until, read the applications
// at Watch (indexes of ends), or else wait for the confirmation in progress; Detach > 0: go on from now
// on a context of its own bounded by it.
type SettleStep struct {
	Done   bool
	Until  time.Time
	Watch  []int
	Detach time.Duration
}

// Next decides the next step at now from whether a confirmation runs, the window ends (zero: nothing
// to settle) and whether the caller is gone.
func (s *Settle) Next(now time.Time, confirming bool, ends []time.Time, callerGone bool, l Lag) (step SettleStep) {
	for i, end := range ends {
		switch {
		case end.IsZero():
		case !end.After(now):
			step.Watch = append(step.Watch, i)
		case end.After(step.Until):
			step.Until = end
		}
	}
	if !confirming && step.Until.IsZero() && step.Watch == nil {
		return SettleStep{Done: true}
	}
	if callerGone && !s.Detached {
		s.Detached, step.Detach = true, max(step.Until.Sub(now), 0)+l.SettleHorizon()+RequestTimeout
	}
	switch { // one step at a time: confirmations first, then the latest window ahead, then reads
	case confirming:
		step.Until, step.Watch = time.Time{}, nil
	case !step.Until.IsZero():
		step.Watch = nil
	}
	return step
}

// Reports says whether a failed settle read is the caller's error: not one its caller gave up
// during before the wait detached (it is made again, detached).
func (s *Settle) Reports(callerLive bool) bool { return callerLive || s.Detached }

// Told decides what the caller of operation name is told (v3 rules 4 and 5) from err, the op's own
// outcome; gaveUp, the caller's end while a round had the op; settled, the settle's outcome
// (settleEnded: a context's end); late, what the confirmation found wrong after the op was answered
// at commit: a notice instead once the caller gave up (Graph committed, Terraform records it made).
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
