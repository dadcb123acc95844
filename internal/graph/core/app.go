package core

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// App is what one process holds of one application between its rounds, under its worker's lock: the
// intents it confirmed, what it saw, its latest read, and the marks that steer the next round.
type App struct {
	expect             map[string]model.Intent // the intents this process confirmed, by key
	seen               map[string]bool         // every version of a scope (model.ScopeFact) this process read or wrote
	known              *model.State            // the latest state this process confirmed or built on
	Written            bool                    // this process PATCHed the application: a 404 is then replication lag
	LastWrite, Settled time.Time               // its last write, and the last write whose settle window has ended
	Restores           int                     // writes that restored what another writer overwrote once confirmed
	Gen                uint64                  // confirmed writes: a read started before the latest one serves no reader
	Solo               int                     // > 0: the next rounds take one changing op each (Refused: Isolate)
	MustRead           bool                    // the next round reads, not building on an earlier read (Refused: Rebuild)
	cached             *model.State            // the latest read, started at cachedAt when cachedGen writes were confirmed
	cachedAt           time.Time
	cachedGen          uint64
	retrying           error // the latest failure of a call on the application about to be retried, at retryingAt
	retryingAt         time.Time
}

// NewApp returns the state of an application this process has not touched.
func NewApp() *App { return &App{expect: make(map[string]model.Intent), seen: make(map[string]bool)} }

// Commit records intents Graph committed at at.
func (a *App) Commit(intents []model.Intent, at time.Time) {
	a.LastWrite = at
	for _, i := range intents {
		a.expect[i.Key()] = i
		if i.Kind == model.IntentScope && i.Present {
			a.seen[model.ScopeFact(i.Scope)] = true
		}
	}
	a.Gen++
}

// Expected returns the confirmed intents.
func (a *App) Expected() []model.Intent { return slices.Collect(maps.Values(a.expect)) }

// Drop forgets one confirmed intent.
func (a *App) Drop(key string) { delete(a.expect, key) }

// LooksOld reports whether st lacks an intent this process confirmed and shows nothing another
// writer changed since this process last saw the application: a replica that is behind.
func (a *App) LooksOld(st *model.State) bool {
	for _, i := range a.expect {
		if !i.Holds(st) {
			return !a.showsNews(st)
		}
	}
	return false
}

// showsNews reports whether st shows, beyond the latest state seen, something none of this process's
// intents, or a scope version never seen: another writer's change (a stale replica shows neither).
func (a *App) showsNews(st *model.State) bool {
	if a.known == nil {
		return false
	}
	for _, i := range model.IntentsOf(a.known, st) {
		if !i.Present {
			continue
		}
		if _, ours := a.expect[i.Key()]; !ours {
			return true
		}
		if i.Kind == model.IntentScope && !a.seen[model.ScopeFact(i.Scope)] {
			return true // our scope, in a version nobody showed or sent us: changed by another writer
		}
	}
	return false
}

// Observe records st as the latest state this process saw (and read: Record), and reports whether
// another writer changed the application since the previous one.
func (a *App) Observe(st *model.State) (foreign bool) {
	foreign = a.showsNews(st)
	a.Record(st)
	a.known = st
	return foreign
}

// Cache keeps st, a read started at at when gen writes were confirmed, as the latest read, unless a
// write was confirmed since or a read started later is kept.
func (a *App) Cache(st *model.State, at time.Time, gen uint64) {
	if gen == a.Gen && !at.Before(a.cachedAt) {
		a.cached, a.cachedAt, a.cachedGen = st, at, gen
	}
}

// Record keeps st as the latest read (Cache) and the scope versions it shows.
func (a *App) Record(st *model.State) {
	for _, s := range st.Application().Scopes {
		a.seen[model.ScopeFact(s)] = true
	}
	a.Cache(st, st.ReadAt, a.Gen)
}

// Cached returns the latest read when it may answer a reader at now: no write was confirmed since, it
// started at notBefore or later (a decision's start) and is at most ReadReuse old; else nil.
func (a *App) Cached(notBefore, now time.Time) *model.State {
	if a.cached == nil || a.cachedGen != a.Gen || a.cachedAt.Before(notBefore) || now.Sub(a.cachedAt) > ReadReuse {
		return nil
	}
	return a.cached
}

// Base returns the latest read for a round to build on (nil: read) when it started at FreshFrom or later,
// is at most WriteReuse old, and is trusted (no other writer seen, no MustRead, no confirmed change missing).
func (a *App) Base(foreign bool, l Lag, commandStart, now time.Time) *model.State {
	st, distrusted := a.cached, foreign || a.MustRead || a.cachedGen != a.Gen
	a.MustRead = false
	if distrusted || st == nil || st.ReadAt.IsZero() || st.ReadAt.Before(l.FreshFrom(commandStart)) ||
		now.Sub(st.ReadAt) > WriteReuse || a.LooksOld(st) {
		return nil
	}
	return st
}

// Watched decides on st, read once the settle window has ended: the last write is settled, or lost
// are restored by a new write (attempt is its number), at most MaxReapply times (ok false beyond).
func (a *App) Watched(st *model.State) (lost []model.Intent, attempt int, ok bool) {
	if lost = model.Missing(a.Expected(), st); len(lost) == 0 {
		if a.Settled.Before(a.LastWrite) {
			a.Settled = a.LastWrite
		}
		return nil, 0, true
	}
	a.Restores++
	return lost, a.Restores, a.Restores <= MaxReapply
}

// Retrying records err, a failure about to be retried at now, for callers whose context ends meanwhile.
func (a *App) Retrying(err error, now time.Time) { a.retrying, a.retryingAt = err, now }

// RetryingSince returns the latest failure being retried that was recorded at or after t, or nil.
func (a *App) RetryingSince(t time.Time) error {
	if a.retrying == nil || a.retryingAt.Before(t) {
		return nil
	}
	return a.retrying
}

// SettleEnd returns when the settle window (SettleHorizon) after a shared application's last write
// ends; zero when there is nothing to wait for.
func (l Lag) SettleEnd(lastWrite, settled time.Time, shared bool) time.Time {
	if lastWrite.IsZero() || !settled.Before(lastWrite) || !shared {
		return time.Time{}
	}
	return lastWrite.Add(l.SettleHorizon())
}

// Settle is one last operation's wait; Detached says its caller's context ended and the wait goes
// on, on a context of its own (DESIGN.md, v3 rule 4).
type Settle struct{ Detached bool }

// SettleStep is what a last operation does next; with none of Done, Until and Watch, it waits for the
// confirmation in progress.
type SettleStep struct {
	Done   bool          // return
	Until  time.Time     // wait until then
	Watch  []int         // read the applications at these indexes of ends
	Detach time.Duration // > 0: go on from now on a context of its own bounded by it
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
