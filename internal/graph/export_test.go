package graph

import (
	"context"
)

// QueuedReads returns how many reads wait for a request of their own kind, so that tests can line
// reads up behind one in flight without sleeping.
func QueuedReads(c *Client) int {
	return queued(&c.reads.byObjectID) + queued(&c.reads.byAppID) + queued(&c.reads.spByAppID)
}

func queued[T directoryObject](b *readBatcher[T]) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiting)
}

// CreateScope adds the permission scope (ExposeScope without an identifier URI).
func (c *Client) CreateScope(ctx context.Context, ref AppRef, scope PermissionScope) (PermissionScope, error) {
	created, _, err := c.ExposeScope(ctx, ref, "", scope)
	return created, err
}
