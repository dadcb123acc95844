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

// GetApplication reads the application. It never returns a state older than what this Client
// confirmed writing; concurrent reads of one application share one GET. A missing application is
// an error matching ErrNotFound.
func (c *Client) GetApplication(ctx context.Context, ref AppRef) (Application, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	w, st, err := c.resolve(ctx, ref)
	if err == nil && (st == nil || w.looksOld(st)) {
		st, err = w.sharedRead(ctx, time.Time{})
	}
	if err != nil {
		return Application{}, fmt.Errorf("reading %s: %w", ref, err)
	}
	return st.Application(), nil
}

// GetApplicationForWrite reads the application for a decision that leads to a write (a create that
// must not duplicate what exists) on a read started at or after freshFrom, so it shows every change
// an earlier command reported. The write that follows builds on it when it comes within WriteReuse.
func (c *Client) GetApplicationForWrite(ctx context.Context, ref AppRef) (Application, error) {
	app, _, err := c.readDeciding(ctx, ref, nil, core.ReasonFreshBase)
	return app, err
}

// GetApplicationExpecting reads the application like GetApplication and reports whether present
// holds for it (Terraform Read functions pass the item their resource manages, every field the state
// records). That it does not is decided only on a read started at or after freshFrom (DESIGN.md,
// "Read-your-writes and an absence window"): one window per process, shared by every resource.
func (c *Client) GetApplicationExpecting(ctx context.Context, ref AppRef, present func(Application) bool) (Application, bool, error) {
	return c.readDeciding(ctx, ref, present, core.ReasonConfirmAbsence)
}

// readDeciding reads the application and reports whether present holds for it, deciding that it
// does not only on a read started at or after freshFrom (waiting until then, counted as reason). A
// nil present never holds: only such a read is returned.
func (c *Client) readDeciding(ctx context.Context, ref AppRef, present func(Application) bool, reason RetryReason) (Application, bool, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	w, st, err := c.resolve(ctx, ref)
	from := c.freshFrom()
	if err == nil && (st == nil || w.looksOld(st)) && (present != nil || !c.now().Before(from)) {
		st, err = w.sharedRead(ctx, time.Time{})
	}
	if err == nil && st != nil && !w.looksOld(st) {
		app := st.Application()
		if ok := present != nil && present(app); ok || !st.ReadAt.Before(from) {
			return app, ok, nil
		}
	}
	if err == nil {
		if err = c.sleepUntil(ctx, from, reason); err == nil {
			st, err = w.sharedRead(ctx, from)
		}
	}
	if err != nil {
		return Application{}, false, fmt.Errorf("reading %s: %w", ref, err)
	}
	app := st.Application()
	return app, present != nil && present(app), nil
}

// EnsureIdentifierURI adds uri to the application's identifier URIs unless it is there (compared
// case-insensitively). added reports whether this call added it.
func (c *Client) EnsureIdentifierURI(ctx context.Context, ref AppRef, uri string) (added bool, err error) {
	if strings.TrimSpace(uri) == "" {
		return false, errors.New("adding an identifier URI: the URI is empty")
	}
	return c.changeURI(ctx, ref, "adding identifier URI "+uri, uri, model.EnsureIdentifierURI)
}

// RemoveIdentifierURI removes uri from the application's identifier URIs; other URIs stay. removed
// is false when it was not there.
func (c *Client) RemoveIdentifierURI(ctx context.Context, ref AppRef, uri string) (removed bool, err error) {
	return c.changeURI(ctx, ref, "removing identifier URI "+uri, uri, model.RemoveIdentifierURI)
}

// changeURI applies change (model.EnsureIdentifierURI or model.RemoveIdentifierURI) to uri in one
// mutation and reports whether it changed the URIs.
func (c *Client) changeURI(ctx context.Context, ref AppRef, name, uri string, change func(*model.State, string) bool) (bool, error) {
	var changed bool
	_, err := c.mutate(ctx, ref, name, func(st *model.State) (bool, error) {
		changed = change(st, uri)
		return true, nil
	})
	return changed && err == nil, err
}

// newScope checks a scope to create and fills in its defaults: an empty ID gets a new random GUID
// and an empty Type becomes model.ScopeTypeUser.
func newScope(scope PermissionScope) (PermissionScope, error) {
	if strings.TrimSpace(scope.Value) == "" {
		return PermissionScope{}, errors.New("exposing a permission scope: the value is empty")
	}
	scope.ID = cmp.Or(scope.ID, uuid.NewString())
	scope.Type = cmp.Or(scope.Type, model.ScopeTypeUser)
	return scope, nil
}

// ExposeScope adds the identifier URI unless it is there (compared case-insensitively; an empty uri
// adds none) and the permission scope (newScope), in one change: either both are written or, when
// the scope cannot be created (model.ScopeExistsError), neither. uriAdded reports whether this call
// added the URI.
func (c *Client) ExposeScope(ctx context.Context, ref AppRef, uri string, scope PermissionScope) (created PermissionScope, uriAdded bool, err error) {
	if scope, err = newScope(scope); err != nil {
		return PermissionScope{}, false, err
	}
	name := fmt.Sprintf("creating permission scope %q", scope.Value)
	if uri != "" {
		name = fmt.Sprintf("adding identifier URI %s and permission scope %q", uri, scope.Value)
	}
	_, err = c.mutate(ctx, ref, name, func(st *model.State) (bool, error) {
		uriAdded = uri != "" && model.EnsureIdentifierURI(st, uri)
		return true, model.CreateScope(st, scope)
	})
	if err != nil {
		return PermissionScope{}, false, err
	}
	return scope, uriAdded, nil
}

// UpdateScope changes the scope with scope.ID to scope (model.UpdateScopeStep: a change of value or
// type disables it first, as Graph demands) and returns it as written.
func (c *Client) UpdateScope(ctx context.Context, ref AppRef, scope PermissionScope) (PermissionScope, error) {
	var result PermissionScope
	_, err := c.mutate(ctx, ref, "updating permission scope "+scope.ID, func(st *model.State) (bool, error) {
		done, err := model.UpdateScopeStep(st, scope)
		result, _ = st.Scope(scope.ID)
		return done, err
	})
	if err != nil {
		return PermissionScope{}, err
	}
	return result, nil
}

// DeleteScopeAndURI removes the permission scope with scopeID (model.DeleteScopeStep), and the
// identifier URI uri (when not empty) in the same change; other URIs stay. clearedFrom are the
// clients whose pre-authorization of the scope was removed first.
func (c *Client) DeleteScopeAndURI(ctx context.Context, ref AppRef, scopeID, uri string) (clearedFrom []string, err error) {
	var cleared []string
	name := "deleting permission scope " + scopeID
	if uri != "" {
		name += " and identifier URI " + uri
	}
	answered, err := c.mutate(ctx, ref, name, func(st *model.State) (bool, error) {
		if s, ok := st.Scope(scopeID); ok && !s.Enabled && st.WaitsForDisable(scopeID) {
			return false, model.ErrDeferred // disabled by another step of this round
		}
		done := model.DeleteScopeStep(st, scopeID, &cleared)
		if done && uri != "" {
			model.RemoveIdentifierURI(st, uri)
		}
		return done, nil
	})
	if !answered {
		return nil, err
	}
	return cleared, err
}

// AddPreAuthorization pre-authorizes the client application for the permission (scope) ID
// (model.AddPreAuthorization: a *model.PreAuthorizationExistsError or *model.ScopeNotFoundError when
// it cannot) and returns the client's entry as written.
func (c *Client) AddPreAuthorization(ctx context.Context, ref AppRef, clientAppID, permissionID string) (PreAuthorizedApplication, error) {
	if strings.TrimSpace(clientAppID) == "" || strings.TrimSpace(permissionID) == "" {
		return PreAuthorizedApplication{}, errors.New("pre-authorizing a client: the client ID and the permission ID are required")
	}
	var entry PreAuthorizedApplication
	_, err := c.mutate(ctx, ref, fmt.Sprintf("pre-authorizing client %s for permission %s", clientAppID, permissionID),
		func(st *model.State) (bool, error) {
			deferred, err := model.AddPreAuthorization(st, clientAppID, permissionID)
			if deferred {
				err = model.ErrDeferred
			}
			entry, _ = st.Application().PreAuthorization(clientAppID)
			return true, err
		})
	if err != nil {
		return PreAuthorizedApplication{}, err
	}
	return entry, nil
}

// RemovePreAuthorization removes the permission ID from the client's entry, and the entry if that
// leaves it empty (model.RemovePreAuthorization). A permission already gone is success.
func (c *Client) RemovePreAuthorization(ctx context.Context, ref AppRef, clientAppID, permissionID string) error {
	_, err := c.mutate(ctx, ref, fmt.Sprintf("removing the pre-authorization of client %s for permission %s", clientAppID, permissionID),
		func(st *model.State) (bool, error) {
			model.RemovePreAuthorization(st, clientAppID, permissionID)
			return true, nil
		})
	return err
}

// mutate resolves ref, queues step on the application's worker and waits for the answer. step
// reports whether the op is done once its change is confirmed; model.ErrDeferred defers it to the
// next round. answered is false when the caller's context ended first; the worker may then still be
// running step, so the caller must not read anything step writes. Cancellation keeps promises
// (DESIGN.md, v3 rule 4).
func (c *Client) mutate(ctx context.Context, ref AppRef, name string, step func(*model.State) (bool, error)) (answered bool, err error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	wrap := func(err error) error { return fmt.Errorf("%s on %s: %w", name, ref, err) }
	w, hint, err := c.resolve(ctx, ref)
	if err != nil {
		return false, wrap(err)
	}
	o := &op{ctx: ctx, name: name, done: make(chan error, 1), step: step}
	c.beginOp()
	w.submit(o, hint)
	gaveUp := func() (bool, error) {
		c.endOp()
		return false, wrap(timedOutRetrying(ctx.Err(), w.retryingSince(o.submitted)))
	}
	gone := false // the caller gave up while a round had the op
	select {
	case err = <-o.done:
	case <-ctx.Done():
		// Queued: withdrawn, never written. Taken by a round: wait (bounded) for its PATCH, so a
		// change Graph committed is reported as made and one it did not as not made.
		if w.withdraw(o) {
			return gaveUp()
		}
		grace := time.NewTimer(c.requestBound() + time.Second)
		defer grace.Stop()
		select {
		case err = <-o.done:
			gone = true
		case <-grace.C:
			return gaveUp()
		}
	}
	// Settle on failure too: earlier ops of the run returned at once and rely on this one.
	serr := c.settle(ctx) // on a context of its own once ctx has ended
	late := w.lateError(o)
	if gone {
		if late != nil { // committed: Terraform records it, and the user is told
			w.notConfirmed(name, late)
		}
		if err == nil && serr == nil {
			return true, nil
		}
		return true, wrap(errors.Join(timedOutRetrying(cmp.Or(err, ctx.Err()), w.retryingSince(o.submitted)), serr))
	}
	if err == nil && late != nil {
		err = fmt.Errorf("%s: %w", name, late) // its confirmation failed while it settled
	}
	switch {
	case err == nil && serr == nil:
		return true, nil
	case err == nil:
		return true, wrap(serr)
	case serr != nil && !isContextEnd(serr):
		return true, wrap(errors.Join(timedOutRetrying(err, w.retryingSince(o.submitted)), serr))
	}
	return true, wrap(timedOutRetrying(err, w.retryingSince(o.submitted)))
}
