package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// readFlight is one read in flight, started at start, shared by concurrent callers: an application's
// GET (sharedRead, of generation gen) or the lookup of a reference (resolve, which sets w).
type readFlight struct {
	done  chan struct{}
	gen   uint64
	start time.Time
	w     *appWorker
	st    *model.State
	err   error
}

// notFoundPolicy returns how 404 answers for this (already resolved) application are retried.
func (w *appWorker) notFoundPolicy(p callPolicy) callPolicy {
	written := locked(w, func(a *core.App) bool { return a.Written })
	p.NotFound, p.NotFoundWindow = w.c.lag().NotFoundPolicy(written)
	p.onRetry = func(err error) { w.with(func(a *core.App) { a.Retrying(err, w.c.now()) }) }
	return p
}

// read reads the application under the retry policy, never older than what this process confirmed:
// a read core.App.LooksOld calls behind is repeated, for core.Lag.OverwriteAfter at most; then it is
// the truth (another writer overwrote our change, which the next round restores). A confirmation's
// read (confirming) takes what it gets: core.Confirmation.Classify decides on it.
func (w *appWorker) read(ctx context.Context, confirming bool) (*model.State, error) {
	start, p := w.c.now(), callPolicy{what: "GET /applications/" + w.objectID}
	if confirming {
		p.what += " (confirmation)"
		defer w.c.tally(func() { w.c.stats.ConfirmReads++ })
	} else {
		p.StaleWindow = w.c.lag().OverwriteAfter()
	}
	var st *model.State
	err := w.c.retry(ctx, w.notFoundPolicy(p), func(ctx context.Context) error {
		at := w.c.now()
		m, err := w.c.byObjectID.read(ctx, w.objectID, false)
		if err != nil {
			return err
		}
		st = model.FromObject(m)
		st.ReadAt = at
		w.mu.Lock()
		defer w.mu.Unlock()
		if confirming || !w.app.LooksOld(st) {
			return nil
		}
		if !w.app.LastWrite.IsZero() {
			w.c.noteLag(w.c.now().Sub(w.app.LastWrite)) // replication lag at least since our last write
		}
		return core.ErrStaleRead
	})
	if errors.Is(err, core.ErrStaleRead) && st != nil && w.c.now().Sub(start) >= p.StaleWindow {
		w.c.logWarn(ctx, "Microsoft Graph keeps showing the application without changes this process confirmed; "+
			"taking them as overwritten by another writer", map[string]any{"object_id": w.objectID})
		err = nil
	}
	return st, err
}

// sharedRead is read with reuse (core.App.Cached, a read started at or after notBefore) and
// single-flight: concurrent readers share one GET.
func (w *appWorker) sharedRead(ctx context.Context, notBefore time.Time) (*model.State, error) {
	for {
		w.mu.Lock()
		if st := w.app.Cached(notBefore, w.c.now()); st != nil {
			w.mu.Unlock()
			w.c.tally(func() { w.c.stats.SharedReads++ })
			return st, nil
		}
		if ch := w.confirming; ch != nil {
			// A change committed moments ago is being confirmed: its final read shows it, so wait for that.
			w.mu.Unlock()
			if err := await(ctx, ch); err != nil {
				return nil, err
			}
			continue
		}
		if f := w.flight; f != nil && f.gen == w.app.Gen && !f.start.Before(notBefore) {
			w.mu.Unlock()
			if err := await(ctx, f.done); err != nil {
				return nil, err
			}
			w.c.tally(func() { w.c.stats.SharedReads++ })
			if leaderGaveUp(ctx, f.err) {
				continue
			}
			return f.st, f.err
		}
		f := &readFlight{done: make(chan struct{}), gen: w.app.Gen, start: w.c.now()}
		w.flight = f
		w.mu.Unlock()

		f.st, f.err = w.read(ctx, false)

		w.mu.Lock()
		if w.flight == f {
			w.flight = nil
		}
		if f.err == nil {
			w.app.Cache(f.st, f.start, f.gen)
		}
		w.mu.Unlock()
		close(f.done)
		return f.st, f.err
	}
}

// seen records st: another writer's change it shows (core.App.Observe) and the latest read.
func (w *appWorker) seen(st *model.State) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.app.Observe(st) {
		w.markForeignLocked()
	}
}

// resolve returns the worker of the application ref names. The first call per reference reads the
// application (the client ID form first when the kind is model.RefAuto; a 404 retried for L only,
// core.Lag.NotFoundPolicy) and returns that read; later calls return only the worker. Concurrent first
// calls share one lookup; when its leader gave up (leaderGaveUp), a follower calls again.
func (c *Client) resolve(ctx context.Context, ref model.AppRef) (*appWorker, *model.State, error) {
	if strings.TrimSpace(ref.ID) == "" {
		return nil, nil, errors.New("the application ID is empty")
	}
	key := ref.Key()
	c.mu.Lock()
	if w, ok := c.refs[key]; ok {
		c.mu.Unlock()
		return w, nil, nil
	}
	if f, ok := c.resolving[key]; ok {
		c.mu.Unlock()
		if err := await(ctx, f.done); err != nil {
			return nil, nil, err
		}
		if leaderGaveUp(ctx, f.err) {
			return c.resolve(ctx, ref)
		}
		return f.w, f.st, f.err
	}
	f := &readFlight{done: make(chan struct{}), start: c.now()}
	c.resolving[key] = f
	c.mu.Unlock()

	var m *model.Object
	p := callPolicy{what: "GET " + ref.String()}
	p.NotFound, p.NotFoundWindow = c.lag().NotFoundPolicy(false)
	f.err = c.retry(ctx, p, func(ctx context.Context) (err error) {
		if ref.Kind != model.RefObjectID {
			m, err = c.byAppID.read(ctx, ref.ID, false)
		}
		if ref.Kind == model.RefObjectID || (ref.Kind != model.RefAppID && errors.Is(err, model.ErrNotFound)) {
			m, err = c.byObjectID.read(ctx, ref.ID, false)
		}
		if err == nil && m.ID == "" {
			err = errors.New("microsoft graph returned an application without an object ID")
		}
		return err
	})
	c.mu.Lock()
	delete(c.resolving, key)
	if f.err == nil {
		f.st = model.FromObject(m)
		f.st.ReadAt = f.start
		oid := strings.ToLower(f.st.ObjectID)
		if f.w = c.workers[oid]; f.w == nil {
			f.w = &appWorker{c: c, objectID: f.st.ObjectID, app: core.NewApp(), arrived: make(chan struct{}, 1)}
			c.workers[oid] = f.w
		}
		f.w.with(func(a *core.App) { a.Record(f.st) }) // the lookup is a read like any other: later readers share it
		c.refs[key], c.refs[model.ByObjectID(oid).Key()] = f.w, f.w
		if f.st.AppID != "" {
			c.refs[model.ByAppID(f.st.AppID).Key()] = f.w
		}
	}
	c.mu.Unlock()
	close(f.done)
	return f.w, f.st, f.err
}

// await waits until ch is closed or ctx ends.
func await(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
