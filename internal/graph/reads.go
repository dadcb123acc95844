package graph

import (
	"context"
	"errors"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// readFlight is one in-flight GET shared by concurrent readers.
type readFlight struct {
	done  chan struct{}
	gen   uint64
	start time.Time
	st    *model.State
	err   error
}

// notFoundPolicy returns how 404 answers for this (already resolved) application are retried.
func (w *appWorker) notFoundPolicy(p callPolicy) callPolicy {
	w.mu.Lock()
	written := w.written
	w.mu.Unlock()
	p.NotFound, p.NotFoundWindow = core.NotFoundPolicy(written, w.c.cfg.FirstLookupWindow)
	p.onRetry = w.noteRetrying
	return p
}

// noteRetrying records err, a failure about to be retried, for callers whose context ends meanwhile.
func (w *appWorker) noteRetrying(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.retrying, w.retryingAt = err, w.c.now()
}

// retryingSince returns the latest failure being retried that was recorded at or after t, or nil.
func (w *appWorker) retryingSince(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.retrying == nil || w.retryingAt.Before(t) {
		return nil
	}
	return w.retrying
}

// get sends one GET of the application under the retry policy.
func (w *appWorker) get(ctx context.Context, p callPolicy, check func(*model.State) error) (*model.State, error) {
	var st *model.State
	err := w.c.retry(ctx, w.notFoundPolicy(p), func(ctx context.Context) error {
		at := w.c.now()
		m, err := w.c.readApplication(ctx, w.objectID)
		if err != nil {
			return err
		}
		if m == nil {
			return errors.New("microsoft graph returned no application")
		}
		st = model.FromModel(m)
		st.ReadAt = at
		if check != nil {
			return check(st)
		}
		return nil
	})
	return st, err
}

// read returns the application as Graph shows it, never older than what this process confirmed: a
// read that lacks a confirmed change and shows nothing new is from a replica that is behind, and is
// repeated; one that shows another writer's change, or lacks ours past core.Lag.OverwriteAfter, is the truth
// (another writer overwrote it). The memory is kept, so the next round restores the change.
func (w *appWorker) read(ctx context.Context) (*model.State, error) {
	start := w.c.now()
	window := w.c.lag().OverwriteAfter()
	p := callPolicy{what: "GET /applications/" + w.objectID, Policy: core.Policy{StaleWindow: window}}
	st, err := w.get(ctx, p, func(st *model.State) error {
		if w.looksOld(st) {
			w.noteStale()
			return errStaleRead
		}
		return nil
	})
	if errors.Is(err, errStaleRead) && st != nil && w.c.now().Sub(start) >= window {
		w.c.logWarn(ctx, "Microsoft Graph keeps showing the application without changes this process confirmed; "+
			"taking them as overwritten by another writer", map[string]any{"object_id": w.objectID})
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// sharedRead is read with single-flight and reuse: a read started at or after notBefore, no
// older than ReadReuse, with no write of this process confirmed since, serves every caller;
// concurrent readers share one GET.
func (w *appWorker) sharedRead(ctx context.Context, notBefore time.Time) (*model.State, error) {
	for {
		w.mu.Lock()
		if st := w.cachedLocked(notBefore); st != nil {
			w.mu.Unlock()
			w.c.stats.sharedReads.Add(1)
			return st, nil
		}
		if ch := w.confirming; ch != nil {
			// A change committed moments ago is being confirmed: its final read shows it (a read now
			// could come from a replica without it and be retried as stale), so wait for that one.
			w.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		if f := w.flight; f != nil && f.gen == w.gen && !f.start.Before(notBefore) {
			w.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			w.c.stats.sharedReads.Add(1)
			if leaderGaveUp(ctx, f.err) {
				continue
			}
			return f.st, f.err
		}
		f := &readFlight{done: make(chan struct{}), gen: w.gen, start: w.c.now()}
		w.flight = f
		w.mu.Unlock()

		f.st, f.err = w.read(ctx)

		w.mu.Lock()
		if w.flight == f {
			w.flight = nil
		}
		if f.err == nil && f.gen == w.gen {
			w.cached, w.cachedAt, w.cachedGen = f.st, f.start, f.gen
		}
		w.mu.Unlock()
		close(f.done)
		return f.st, f.err
	}
}

// cachedLocked returns the cached read when it may serve a reader. Caller holds w.mu.
func (w *appWorker) cachedLocked(notBefore time.Time) *model.State {
	if w.cached == nil || w.cachedGen != w.gen || !core.MayServe(w.cachedAt, notBefore, w.c.now(), w.c.cfg.ReadReuse) {
		return nil
	}
	return w.cached
}

// cacheRead records st as the latest read (as of st.ReadAt, when the read was started).
func (w *appWorker) cacheRead(st *model.State) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mem.Saw(st)
	if st.ReadAt.Before(w.cachedAt) {
		return
	}
	w.cached, w.cachedAt, w.cachedGen = st, st.ReadAt, w.gen
}

// gather returns the state the round builds on and whether it is a read made earlier: reuse (the
// read that confirmed the previous round) or the latest read of the application when
// core.Lag.MayBuildOn allows it; else a fresh read.
func (w *appWorker) gather(ctx context.Context, reuse *model.State) (base *model.State, reused bool, err error) {
	w.mu.Lock()
	if reuse == nil && w.cachedGen == w.gen {
		reuse = w.cached
	}
	stale := w.foreign || w.mustRead
	w.mustRead = false
	w.mu.Unlock()
	if reuse == nil || !w.c.lag().MayBuildOn(reuse.ReadAt, w.c.started, w.c.now(), stale || w.looksOld(reuse)) {
		st, err := w.freshRead(ctx)
		return st, false, err
	}
	return reuse, true, nil
}

// freshRead reads the application for a round. The read starts no earlier than freshFrom: a write
// built on an older read could drop a change an earlier command reported (a destroy straight after
// an apply), and a decision on it could report a fact an earlier command changed.
func (w *appWorker) freshRead(ctx context.Context) (*model.State, error) {
	if err := w.c.sleepUntil(ctx, w.c.freshFrom(), core.ReasonFreshBase); err != nil {
		return nil, err
	}
	st, err := w.read(ctx)
	if err != nil {
		return nil, err
	}
	w.noteForeign(st)
	w.cacheRead(st)
	return st, nil
}
