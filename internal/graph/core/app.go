package core

import (
	"maps"
	"slices"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// App is what one process holds of one application between its rounds: the intents it confirmed
// (read-your-writes, and what to restore), what it saw (to tell a replica behind from another
// writer's change), its latest read, and the marks that steer the next round. The driver (the
// application's worker) holds it under its lock and does the I/O; these methods decide.
type App struct {
	expect             map[string]model.Intent // the intents this process confirmed, by key
	seen               map[string]bool         // every version of a scope (model.ScopeFact) this process read or wrote
	known              *model.State            // the latest state this process confirmed or built on
	Written            bool                    // this process PATCHed the application: a 404 is then replication lag
	LastWrite, Settled time.Time               // its last write, and the last write whose settle window has ended
	Restores           int                     // writes that restored what another writer overwrote once confirmed
	Gen                uint64                  // confirmed writes: a read started before the latest one serves no reader
	// Solo > 0 makes the next rounds take one changing op each (Refused: Isolate); MustRead makes the
	// next round read instead of building on an earlier read (Refused: Rebuild).
	Solo     int
	MustRead bool
	// cached is the latest read, started at cachedAt when cachedGen writes were confirmed.
	cached    *model.State
	cachedAt  time.Time
	cachedGen uint64
	// retrying is the latest failure of a call on the application about to be retried, at retryingAt.
	retrying   error
	retryingAt time.Time
}

// NewApp returns the state of an application this process has not touched.
func NewApp() *App { return &App{expect: make(map[string]model.Intent), seen: make(map[string]bool)} }

// Commit records intents Graph committed.
func (a *App) Commit(intents []model.Intent) {
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
// writer changed since this process last saw the application: a replica that is behind. (A read
// after another writer overwrote ours shows that writer's change too; the next round restores ours.)
func (a *App) LooksOld(st *model.State) bool {
	for _, i := range a.expect {
		if !i.Holds(st) {
			return !a.showsNews(st, a.known)
		}
	}
	return false
}

// showsNews reports whether st shows something that known lacks and that is none of this process's
// intents: another writer's change, so st is newer than known. A stale replica shows only older
// states, which hold nothing known lacks (except a fact this process removed, which is ours), and
// only scope versions that existed before: a version never seen is another writer's.
func (a *App) showsNews(st, known *model.State) bool {
	if known == nil {
		return false
	}
	for _, i := range model.IntentsOf(known, st) {
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

// Observe records st as the latest state this process saw, and reports whether another writer
// changed the application since the previous one.
func (a *App) Observe(st *model.State) (foreign bool) {
	foreign = a.showsNews(st, a.known)
	a.saw(st)
	a.known = st
	return foreign
}

// saw records the scope versions st shows.
func (a *App) saw(st *model.State) {
	for _, s := range st.Application().Scopes {
		a.seen[model.ScopeFact(s)] = true
	}
}

// Outcome is what one confirmation read shows of the intents in flight.
type Outcome int

// Outcomes of a confirmation read; the driver has one handler each (confirm.go).
const (
	Visible     Outcome = iota // every intent in flight: one read that shows them proves the commit
	Overwritten                // another writer overwrote some of them: apply them again
	Behind                     // a replica that has not caught up: read again
)

// Classify decides what the confirmation read st shows of ours, the intents in flight, and returns
// the ones it lacks. It lacks them because another writer overwrote them when it holds a change that
// is neither in sent (what this process wrote last) nor ours nor confirmed (foreign: another writer
// was seen), or when they have been missing for overwriteAfter (Lag.OverwriteAfter) or longer.
func (a *App) Classify(ours []model.Intent, st, sent *model.State, missingFor, overwriteAfter time.Duration) (o Outcome, lost []model.Intent, foreign bool) {
	if lost = model.Missing(ours, st); len(lost) == 0 {
		return Visible, nil, false
	}
	if missingFor >= overwriteAfter {
		return Overwritten, lost, false
	}
	mine := make(map[string]bool, len(ours))
	for _, i := range ours {
		mine[i.Key()] = true
	}
	for _, i := range model.IntentsOf(sent, st) {
		if _, confirmed := a.expect[i.Key()]; i.Present && !confirmed && !mine[i.Key()] {
			return Overwritten, lost, true
		}
	}
	return Behind, lost, false
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
	a.saw(st)
	a.Cache(st, st.ReadAt, a.Gen)
}

// Cached returns the latest read when it may serve a reader at now that needs a read started at
// notBefore or later (MayServe), with no write confirmed since; else nil.
func (a *App) Cached(notBefore, now time.Time, readReuse time.Duration) *model.State {
	if a.cached == nil || a.cachedGen != a.Gen || !MayServe(a.cachedAt, notBefore, now, readReuse) {
		return nil
	}
	return a.cached
}

// Base returns what a round may build on instead of reading (nil: read): reuse (the read that
// confirmed the previous round) or else the latest read, when Lag.MayBuildOn allows it; a read is
// distrusted when another writer was seen (foreign), a round asked for a new read, or it lacks a
// change this process confirmed.
func (a *App) Base(reuse *model.State, foreign bool, l Lag, commandStart, now time.Time) *model.State {
	if reuse == nil && a.cachedGen == a.Gen {
		reuse = a.cached
	}
	distrusted := foreign || a.MustRead
	a.MustRead = false
	if reuse == nil || !l.MayBuildOn(reuse.ReadAt, commandStart, now, distrusted || a.LooksOld(reuse)) {
		return nil
	}
	return reuse
}

// Watched decides on st, the read taken once the settle window of the last write has ended: when st
// shows every confirmed intent the last write is settled; else lost are restored by a new write
// (attempt is its number), at most maxReapply times (ok false beyond).
func (a *App) Watched(st *model.State, maxReapply int) (lost []model.Intent, attempt int, ok bool) {
	if lost = model.Missing(a.Expected(), st); len(lost) == 0 {
		if a.Settled.Before(a.LastWrite) {
			a.Settled = a.LastWrite
		}
		return nil, 0, true
	}
	a.Restores++
	return lost, a.Restores, a.Restores <= maxReapply
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
