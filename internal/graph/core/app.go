package core

import (
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// App is what one process holds of one application between its rounds: the memory of what it
// confirmed and saw, its latest read, and the marks that steer the next round. The driver (the
// application's worker) holds it under its lock and does the I/O; these methods decide.
type App struct {
	*Memory
	Written            bool      // this process PATCHed the application: a 404 is then replication lag
	LastWrite, Settled time.Time // its last write, and the last write whose settle window has ended
	Restores           int       // writes that restored what another writer overwrote once confirmed (Watched)
	Gen                uint64    // confirmed writes: a read started before the latest one serves no reader
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
func NewApp() *App { return &App{Memory: NewMemory()} }

// Commit records intents Graph committed (read-your-writes, and what to restore).
func (a *App) Commit(intents []model.Intent) {
	a.Remember(intents)
	a.Gen++
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
	a.Saw(st)
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
