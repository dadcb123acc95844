package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// GetApplication reads the application, never older than what this Client confirmed writing;
// concurrent reads share one GET. A missing application is an error matching ErrNotFound.
func (c *Client) GetApplication(ctx context.Context, ref model.AppRef) (model.Application, error) {
	app, _, err := c.readDeciding(ctx, ref, nil, "")
	return app, err
}

// GetApplicationForWrite reads the application for a decision that leads to a write (a create that
// must not duplicate what exists), on a read started at or after core.Lag.FreshFrom.
func (c *Client) GetApplicationForWrite(ctx context.Context, ref model.AppRef) (model.Application, error) {
	app, _, err := c.readDeciding(ctx, ref, nil, core.ReasonFreshBase)
	return app, err
}

// GetApplicationExpecting reads the application and reports whether present (the item a Terraform
// Read manages) holds, deciding that it does not only on a read started at or after core.Lag.FreshFrom.
func (c *Client) GetApplicationExpecting(ctx context.Context, ref model.AppRef, present func(model.Application) bool) (model.Application, bool, error) {
	return c.readDeciding(ctx, ref, present, core.ReasonConfirmAbsence)
}

// readDeciding is the Get calls' read: present (nil: never) is decided false only as core.Decides
// says, a wait counted as reason (without a reason, the first read decides).
func (c *Client) readDeciding(ctx context.Context, ref model.AppRef, present func(model.Application) bool, reason core.RetryReason) (model.Application, bool, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	w, st, err := c.resolve(ctx, ref)
	looksOld := func() bool { return locked(w, func(a *core.App) bool { return a.LooksOld(st) }) }
	var from time.Time
	if reason != "" {
		from = c.lag().FreshFrom(c.started)
	}
	if err == nil && (st == nil || looksOld()) && core.ReadAtOnce(present != nil, c.now(), from) {
		st, err = w.sharedRead(ctx, time.Time{})
	}
	if err == nil && st != nil && (reason == "" || !looksOld()) {
		app := st.Application()
		if ok := present != nil && present(app); core.Decides(ok, st.ReadAt, from) {
			return app, ok, nil
		}
	}
	if err == nil {
		if err = c.sleepUntil(ctx, from, reason); err == nil {
			st, err = w.sharedRead(ctx, from)
		}
	}
	if err != nil {
		return model.Application{}, false, fmt.Errorf("reading %s: %w", ref, err)
	}
	app := st.Application()
	return app, present != nil && present(app), nil
}

// EnsureIdentifierURI adds uri to the identifier URIs unless an equal one (case-insensitive) is there;
// added reports whether this call added it.
func (c *Client) EnsureIdentifierURI(ctx context.Context, ref model.AppRef, uri string) (bool, error) {
	var added bool
	o, err := model.AddURI(uri, &added)
	return change(ctx, c, ref, o, err, &added)
}

// RemoveIdentifierURI removes uri, keeping other URIs; removed is false when it was not there.
func (c *Client) RemoveIdentifierURI(ctx context.Context, ref model.AppRef, uri string) (bool, error) {
	var removed bool
	return change(ctx, c, ref, model.RemoveURI(uri, &removed), nil, &removed)
}

// ExposeScope adds the identifier URI (unless empty) and the permission scope, with a random GUID ID
// unless scope.ID is set, in one change (model.ExposeScope); uriAdded reports whether this call added the URI.
func (c *Client) ExposeScope(ctx context.Context, ref model.AppRef, uri string, scope model.PermissionScope) (created model.PermissionScope, uriAdded bool, err error) {
	scope.ID = cmp.Or(scope.ID, uuid.NewString())
	o, err := model.ExposeScope(uri, &scope, &uriAdded)
	if uriAdded, err = change(ctx, c, ref, o, err, &uriAdded); err != nil {
		return model.PermissionScope{}, false, err
	}
	return scope, uriAdded, nil
}

// UpdateScope changes the scope with scope.ID to scope (model.UpdateScope) and returns it as written.
func (c *Client) UpdateScope(ctx context.Context, ref model.AppRef, scope model.PermissionScope) (model.PermissionScope, error) {
	var written model.PermissionScope
	return change(ctx, c, ref, model.UpdateScope(scope, &written), nil, &written)
}

// DeleteScopeAndURI removes the scope with scopeID and the identifier URI uri (unless empty) in one
// change (model.DeleteScopeAndURI); clearedFrom are the clients whose pre-authorization of it went first.
func (c *Client) DeleteScopeAndURI(ctx context.Context, ref model.AppRef, scopeID, uri string) (clearedFrom []string, err error) {
	var cleared []string
	answered, err := c.mutate(ctx, ref, model.DeleteScopeAndURI(scopeID, uri, &cleared))
	if !answered {
		return nil, err
	}
	return cleared, err
}

// AddPreAuthorization pre-authorizes the client for the permission (scope) ID (model.PreAuthorize)
// and returns the client's entry as written.
func (c *Client) AddPreAuthorization(ctx context.Context, ref model.AppRef, clientAppID, permissionID string) (model.PreAuthorizedApplication, error) {
	var entry model.PreAuthorizedApplication
	o, err := model.PreAuthorize(clientAppID, permissionID, &entry)
	return change(ctx, c, ref, o, err, &entry)
}

// RemovePreAuthorization removes the permission from the client's entry, and an entry left empty
// (model.Unauthorize); a permission already gone is success.
func (c *Client) RemovePreAuthorization(ctx context.Context, ref model.AppRef, clientAppID, permissionID string) error {
	_, err := c.mutate(ctx, ref, model.Unauthorize(clientAppID, permissionID))
	return err
}

// change runs o (mutate) unless err, the failure to build it, is set, and returns *out once it succeeded.
func change[T any](ctx context.Context, c *Client, ref model.AppRef, o model.Op, err error, out *T) (T, error) {
	if err == nil {
		_, err = c.mutate(ctx, ref, o)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return *out, nil
}

// mutate resolves ref, queues the operation on the application's worker and waits for its answer
// (v3 rules 4 and 5); answered is false when the caller's context ended first (the step may still run).
func (c *Client) mutate(ctx context.Context, ref model.AppRef, mo model.Op) (answered bool, err error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	wrap := func(err error) error { return fmt.Errorf("%s on %s: %w", mo.Name, ref, err) }
	w, _, err := c.resolve(ctx, ref)
	if err != nil {
		return false, wrap(err)
	}
	c.beginOp()
	o := w.submit(ctx, mo)
	var gaveUp, serr error // gaveUp: the caller's context ended while a round had the op
	select {
	case err = <-o.done:
		answered = true
	case <-ctx.Done():
		if !w.withdraw(o) {
			select {
			case err = <-o.done:
				answered, gaveUp = true, ctx.Err()
			case <-time.After(core.RequestTimeout + time.Second):
			}
		}
	}
	if !answered {
		c.endOp()
		err = ctx.Err()
	} else {
		// Settle on failure too: earlier ops of the run returned at once and rely on this one.
		serr = c.settle(ctx) // on a context of its own once ctx has ended
		late := locked(w, func(*core.App) error {
			o.returned = true // a failure found from now on is a notice
			return o.late
		})
		var notice error
		if err, serr, notice = core.Told(mo.Name, err, gaveUp, serr, late, isContextEnd(serr)); notice != nil {
			w.notConfirmed(mo.Name, notice)
		}
	}
	if err == nil && serr == nil {
		return true, nil
	}
	retrying := locked(w, func(a *core.App) error { return a.RetryingSince(o.submitted) })
	return answered, wrap(errors.Join(timedOutRetrying(err, retrying), serr))
}

// beginOp counts a mutation in flight and wakes an operation that is waiting to settle.
func (c *Client) beginOp() {
	c.mutating.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops++
	close(c.arrival)
	c.arrival = make(chan struct{})
}

// Mutating reports whether this Client has started a change of an application: a process that
// mutates is Terraform's apply, whose plan-time checks the plan already made.
func (c *Client) Mutating() bool { return c.mutating.Load() }

// endOp counts a mutation as returned.
func (c *Client) endOp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops--
}

// settle ends the operation (v3 rule 2): at once while another is in flight, else after the settle
// steps (core.Settle). Its error is the caller's: a change lost for good, or the context's end.
func (c *Client) settle(ctx context.Context) (err error) {
	var s core.Settle
	left := false // counted out already, leaving the settling to another operation in flight
	defer func() {
		if !left {
			c.endOp()
		}
		if err != nil && s.Detached {
			err = fmt.Errorf("the changes of this run were not settled (another writer may still overwrite them): %w", err)
		}
	}()
	for {
		// One step: two operations answered together must not both see the other and leave.
		c.mu.Lock()
		if left = c.ops > 1; left {
			c.ops--
		}
		arrival, workers := c.arrival, slices.Collect(maps.Values(c.workers))
		c.mu.Unlock()
		if left {
			return nil
		}
		var confirming chan struct{} // a confirmation in progress
		ends, l := make([]time.Time, len(workers)), c.lag()
		for i, w := range workers {
			w.mu.Lock()
			confirming = cmp.Or(w.confirming, confirming)
			ends[i] = l.SettleEnd(w.app.LastWrite, w.app.Settled, c.cfg.ConcurrentWriters || w.foreign)
			w.mu.Unlock()
		}
		step := s.Next(c.now(), confirming != nil, ends, ctx.Err() != nil, l)
		if step.Done {
			return nil
		}
		if step.Detach > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), step.Detach)
			defer cancel()
		}
		if step.Watch != nil {
			if werr := watchAll(ctx, workers, step.Watch); werr != nil && s.Reports(ctx.Err() == nil) {
				return werr
			}
			continue
		}
		var fired <-chan time.Time
		if !step.Until.IsZero() {
			c.addRetry(core.ReasonSettle)
			fired = time.After(step.Until.Sub(c.now()))
		}
		select {
		case <-confirming:
		case <-fired:
		case <-arrival:
		case <-ctx.Done():
			if s.Detached {
				return ctx.Err()
			}
		}
	}
}

// watchAll watches the workers at the indices, ten at a time (their reads share lists, reads.go).
func watchAll(ctx context.Context, workers []*appWorker, indices []int) error {
	errs := make([]error, len(indices))
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i, j := range indices {
		sem <- struct{}{}
		wg.Go(func() {
			errs[i] = workers[j].watch(ctx)
			<-sem
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// watch reads once the settle window has ended (core.App.Watched); what another writer overwrote is
// restored through the worker, a new write with its own window.
func (w *appWorker) watch(ctx context.Context) error {
	st, err := w.read(ctx, false)
	if err != nil {
		return fmt.Errorf("checking that the changes of this process survived: %w", err)
	}
	w.seen(st)
	w.mu.Lock()
	lost, attempt, ok := w.app.Watched(st)
	w.mu.Unlock()
	if len(lost) == 0 {
		return nil
	}
	if !ok {
		return &model.OverwrittenError{ObjectID: w.objectID, Reapplied: attempt - 1, Missing: lost}
	}
	w.c.logWarn(ctx, "another writer overwrote changes of this process after they were confirmed; applying them again",
		map[string]any{"object_id": w.objectID, "missing": len(lost), "attempt": attempt})
	restore := model.Op{Name: "restoring changes another writer overwrote", Step: func(*model.State) (bool, error) { return true, nil }}
	o := w.submit(ctx, restore)
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
