package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// QueuedOps returns how many operations wait in the queue of the application's worker, so that
// tests can line operations up for one group-commit round without sleeping.
func QueuedOps(c *Client, objectID string) int {
	c.mu.Lock()
	w := c.workers[strings.ToLower(objectID)]
	c.mu.Unlock()
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// QueuedReads returns how many reads wait for a request of their own kind, so that tests can line
// reads up behind one in flight without sleeping.
func QueuedReads(c *Client) int {
	return queued(&c.reads.byObjectID) + queued(&c.reads.byAppID) + queued(&c.reads.spByAppID)
}

func queued(b *readBatcher) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiting)
}

// The reads and writes below are the tests' shorthands; the provider uses GetApplicationExpecting,
// ExposeScope and DeleteScopeAndURI.

// GetScope reads one permission scope of the application. A missing scope is an error matching
// ErrScopeNotFound; a missing application one matching ErrNotFound. Absence is confirmed as
// GetApplicationExpecting confirms it.
func (c *Client) GetScope(ctx context.Context, ref AppRef, scopeID string) (PermissionScope, error) {
	return item(ctx, c, ref, func(app Application) (PermissionScope, bool) { return app.Scope(scopeID) },
		&model.ScopeNotFoundError{ID: scopeID})
}

// GetPreAuthorization reads the pre-authorized entry of one client application. A missing entry is
// an error matching ErrPreAuthorizationNotFound.
func (c *Client) GetPreAuthorization(ctx context.Context, ref AppRef, clientAppID string) (PreAuthorizedApplication, error) {
	return item(ctx, c, ref, func(app Application) (PreAuthorizedApplication, bool) { return app.PreAuthorization(clientAppID) },
		&PreAuthorizationNotFoundError{ClientAppID: clientAppID})
}

// item reads what find looks up in the application; missing is the error when it is not there.
func item[T any](ctx context.Context, c *Client, ref AppRef, find func(Application) (T, bool), missing error) (T, error) {
	var got, none T
	_, found, err := c.GetApplicationExpecting(ctx, ref, func(app Application) bool {
		var ok bool
		got, ok = find(app)
		return ok
	})
	if err == nil && !found {
		err = fmt.Errorf("reading %s: %w", ref, missing)
	}
	if err != nil {
		return none, err
	}
	return got, nil
}

// CreateScope adds the permission scope (ExposeScope without an identifier URI).
func (c *Client) CreateScope(ctx context.Context, ref AppRef, scope PermissionScope) (PermissionScope, error) {
	created, _, err := c.ExposeScope(ctx, ref, "", scope)
	return created, err
}

// DeleteScope removes the permission scope (DeleteScopeAndURI without an identifier URI).
func (c *Client) DeleteScope(ctx context.Context, ref AppRef, scopeID string) ([]string, error) {
	return c.DeleteScopeAndURI(ctx, ref, scopeID, "")
}

// ErrPreAuthorizationNotFound means the client application is not pre-authorized for the permission.
var ErrPreAuthorizationNotFound = errors.New("pre-authorization not found")

// PreAuthorizationNotFoundError says the client has no pre-authorized entry, or its entry lacks the
// permission (PermissionID empty means the entry itself is missing). It matches
// ErrPreAuthorizationNotFound.
type PreAuthorizationNotFoundError struct {
	// ClientAppID is the client application's appId.
	ClientAppID string
	// PermissionID is the scope ID, empty when the whole entry was looked for.
	PermissionID string
}

// Error names what is missing.
func (e *PreAuthorizationNotFoundError) Error() string {
	if e.PermissionID == "" {
		return fmt.Sprintf("client application %s is not pre-authorized", e.ClientAppID)
	}
	return fmt.Sprintf("client application %s is not pre-authorized for permission %s", e.ClientAppID, e.PermissionID)
}

// Is makes errors.Is(err, ErrPreAuthorizationNotFound) true.
func (e *PreAuthorizationNotFoundError) Is(target error) bool {
	return target == ErrPreAuthorizationNotFound
}
