package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
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

// newScope checks a scope to create and fills in a random GUID ID and the type User when unset.
func newScope(scope model.PermissionScope) (model.PermissionScope, error) {
	if strings.TrimSpace(scope.Value) == "" {
		return model.PermissionScope{}, errors.New("exposing a permission scope: the value is empty")
	}
	scope.ID = cmp.Or(scope.ID, uuid.NewString())
	scope.Type = cmp.Or(scope.Type, model.ScopeTypeUser)
	return scope, nil
}

// ExposeScope adds the identifier URI (unless empty) and the permission scope in one change
// (model.ExposeScope); uriAdded reports whether this call added the URI.
func (c *Client) ExposeScope(ctx context.Context, ref model.AppRef, uri string, scope model.PermissionScope) (created model.PermissionScope, uriAdded bool, err error) {
	scope, err = newScope(scope)
	if uriAdded, err = change(ctx, c, ref, model.ExposeScope(uri, scope, &uriAdded), err, &uriAdded); err != nil {
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
