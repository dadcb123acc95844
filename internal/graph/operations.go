package graph

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

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
// must not duplicate what exists): like GetApplication, on a read started at or after freshFrom, so it
// shows every change an earlier command reported (a destroy just before). The write that follows
// builds on the same read when it comes within WriteReuse.
func (c *Client) GetApplicationForWrite(ctx context.Context, ref AppRef) (Application, error) {
	app, _, err := c.readDeciding(ctx, ref, nil, core.ReasonFreshBase)
	return app, err
}

// GetApplicationExpecting reads the application like GetApplication and reports whether present
// holds for it. When it does not, the item may be missing only on a replica that has not caught up
// with a change made moments ago — possibly by another process, such as the terraform apply just
// before a plan. So the absence is confirmed by a read started once the lag bound has passed since
// the command started (core.Lag.FreshFrom): one window per process, shared by every resource, and a
// read started after it decides at once. present may compare more than presence (every field
// Terraform's state records): a difference from the state is confirmed the same way. Terraform Read
// functions use it for the item their resource manages.
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
	_, err := c.mutate(ctx, ref, name, func(st *model.State) stepResult {
		changed = change(st, uri)
		return stepResult{done: true}
	})
	return changed && err == nil, err
}

// newScope checks a scope to create and fills in its defaults: an empty ID gets a new random GUID
// and an empty Type becomes model.ScopeTypeUser. what starts the error message.
func newScope(what string, scope PermissionScope) (PermissionScope, error) {
	if strings.TrimSpace(scope.Value) == "" {
		return PermissionScope{}, errors.New(what + ": the value is empty")
	}
	if scope.ID == "" {
		scope.ID = newGUID()
	}
	if scope.Type == "" {
		scope.Type = model.ScopeTypeUser
	}
	return scope, nil
}

// ExposeScope adds the identifier URI unless it is there (compared case-insensitively; an empty uri
// adds none) and the permission scope, in one change: either both are written or, when the scope
// cannot be created (model.ScopeExistsError), neither. An empty scope ID gets a new random GUID and an empty
// Type becomes model.ScopeTypeUser. uriAdded reports whether this call added the URI.
func (c *Client) ExposeScope(ctx context.Context, ref AppRef, uri string, scope PermissionScope) (created PermissionScope, uriAdded bool, err error) {
	if scope, err = newScope("exposing a permission scope", scope); err != nil {
		return PermissionScope{}, false, err
	}
	name := fmt.Sprintf("creating permission scope %q", scope.Value)
	if uri != "" {
		name = fmt.Sprintf("adding identifier URI %s and permission scope %q", uri, scope.Value)
	}
	_, err = c.mutate(ctx, ref, name, func(st *model.State) stepResult {
		added := uri != "" && model.EnsureIdentifierURI(st, uri)
		if err := model.CreateScope(st, scope); err != nil {
			return stepResult{err: err}
		}
		created, uriAdded = scope, added
		return stepResult{done: true}
	})
	if err != nil {
		return PermissionScope{}, false, err
	}
	return created, uriAdded, nil
}

// UpdateScope changes the scope with scope.ID to scope. Texts and the enabled flag change in place
// without disabling the scope; a change of value or type disables it first (Graph's rule), waits
// until the disable is visible, changes it, and enables it again if scope.Enabled. The scope as
// written is returned.
func (c *Client) UpdateScope(ctx context.Context, ref AppRef, scope PermissionScope) (PermissionScope, error) {
	var result PermissionScope
	_, err := c.mutate(ctx, ref, "updating permission scope "+scope.ID, func(st *model.State) stepResult {
		done, err := model.UpdateScopeStep(st, scope)
		if errors.Is(err, model.ErrDeferred) {
			return stepResult{deferred: true}
		}
		if err != nil {
			return stepResult{err: err}
		}
		if done {
			result, _ = st.Scope(scope.ID)
		}
		return stepResult{done: done}
	})
	if err != nil {
		return PermissionScope{}, err
	}
	return result, nil
}

// DeleteScopeAndURI removes the permission scope with scopeID, and the identifier URI uri (when not
// empty) in the same change; other URIs stay.
func (c *Client) DeleteScopeAndURI(ctx context.Context, ref AppRef, scopeID, uri string) (clearedFrom []string, err error) {
	var cleared []string
	name := "deleting permission scope " + scopeID
	if uri != "" {
		name += " and identifier URI " + uri
	}
	answered, err := c.mutate(ctx, ref, name, func(st *model.State) stepResult {
		if s, ok := st.Scope(scopeID); ok && !s.Enabled && st.WaitsForDisable(scopeID) {
			return stepResult{deferred: true} // disabled by another step of this round
		}
		done := model.DeleteScopeStep(st, scopeID, &cleared)
		if done && uri != "" {
			model.RemoveIdentifierURI(st, uri)
		}
		return stepResult{done: done}
	})
	if !answered {
		return nil, err
	}
	return cleared, err
}

// AddPreAuthorization pre-authorizes the client application for the permission (scope) ID: the ID
// is added to the client's entry, keeping its other IDs, or a new entry is added. If the client
// already has the permission, the error is a *model.PreAuthorizationExistsError; if the application has
// no such scope, a *model.ScopeNotFoundError. The client's entry as written is returned.
func (c *Client) AddPreAuthorization(ctx context.Context, ref AppRef, clientAppID, permissionID string) (PreAuthorizedApplication, error) {
	if strings.TrimSpace(clientAppID) == "" || strings.TrimSpace(permissionID) == "" {
		return PreAuthorizedApplication{}, errors.New("pre-authorizing a client: the client ID and the permission ID are required")
	}
	var entry PreAuthorizedApplication
	_, err := c.mutate(ctx, ref, fmt.Sprintf("pre-authorizing client %s for permission %s", clientAppID, permissionID),
		func(st *model.State) stepResult {
			deferred, err := model.AddPreAuthorization(st, clientAppID, permissionID)
			if err != nil || deferred {
				return stepResult{err: err, deferred: deferred}
			}
			entry, _ = st.Application().PreAuthorization(clientAppID)
			return stepResult{done: true}
		})
	if err != nil {
		return PreAuthorizedApplication{}, err
	}
	return entry, nil
}

// RemovePreAuthorization removes the permission ID from the client's entry, and the entry if that
// leaves it empty. The client's other permission IDs stay. If the permission is already gone, that
// is success.
func (c *Client) RemovePreAuthorization(ctx context.Context, ref AppRef, clientAppID, permissionID string) error {
	_, err := c.mutate(ctx, ref, fmt.Sprintf("removing the pre-authorization of client %s for permission %s", clientAppID, permissionID),
		func(st *model.State) stepResult {
			model.RemovePreAuthorization(st, clientAppID, permissionID)
			return stepResult{done: true}
		})
	return err
}

// mutate resolves ref, queues step on the application's worker and waits for the answer.
// answered is false when the caller's context ended first; the worker may then still be running
// step, so the caller must not read anything step writes.
func (c *Client) mutate(ctx context.Context, ref AppRef, name string, step func(*model.State) stepResult) (answered bool, err error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	w, hint, err := c.resolve(ctx, ref)
	if err != nil {
		return false, fmt.Errorf("%s on %s: %w", name, ref, err)
	}
	o := &op{ctx: ctx, name: name, step: step, done: make(chan error, 1)}
	c.beginOp()
	w.submit(o, hint)
	select {
	case err := <-o.done:
		// Settle on failure too: the last mutation of a run may fail after earlier ones of the run
		// returned at once, and their writes still need their replication window.
		serr := c.settle(ctx)
		if late := w.lateError(o); err == nil && late != nil {
			err = fmt.Errorf("%s: %w", name, late) // its confirmation failed while it settled
		}
		if err != nil {
			// The worker may have stopped for the caller's deadline in a step that does not know
			// what was being retried (waiting for a shared read): give the reason here too.
			err = timedOutRetrying(err, w.retryingSince(o.submitted))
			if serr != nil && !errors.Is(serr, context.Canceled) && !errors.Is(serr, context.DeadlineExceeded) {
				err = errors.Join(err, serr)
			}
			return true, fmt.Errorf("%s on %s: %w", name, ref, err)
		}
		if serr != nil {
			return true, fmt.Errorf("%s on %s: %w", name, ref, serr)
		}
		return true, nil
	case <-ctx.Done():
		// An op still queued is withdrawn: it is never written. One a round has taken may be in a
		// PATCH that Graph is committing: wait for its outcome (bounded), so that a change Graph
		// committed is reported as done (Terraform records it) and one it did not as not made.
		if w.withdraw(o) {
			c.endOp()
			return false, fmt.Errorf("%s on %s: %w", name, ref, timedOutRetrying(ctx.Err(), w.retryingSince(o.submitted)))
		}
		grace := time.NewTimer(c.requestBound() + time.Second)
		defer grace.Stop()
		select {
		case err := <-o.done:
			serr := c.settle(ctx)                    // settles on a context of its own
			if late := w.lateError(o); late != nil { // committed: Terraform records it, and the user is told
				w.notConfirmed(name, late)
			}
			if err == nil && serr == nil {
				return true, nil
			}
			return true, fmt.Errorf("%s on %s: %w", name, ref, errors.Join(timedOutRetrying(coalesce(err, ctx.Err()), w.retryingSince(o.submitted)), serr))
		case <-grace.C:
			c.endOp()
			return false, fmt.Errorf("%s on %s: %w", name, ref, timedOutRetrying(ctx.Err(), w.retryingSince(o.submitted)))
		}
	}
}

// coalesce returns err, or fallback when err is nil.
func coalesce(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// newGUID returns a random (version 4) GUID in Graph's lower-case form.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
