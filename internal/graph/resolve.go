package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// resolve returns the worker of the application ref names. The first call per reference reads the
// application (the client ID form first when the kind is model.RefAuto) and returns that read; later
// calls return only the worker. Concurrent first calls share one lookup; when its leader gave up
// (leaderGaveUp), a follower calls again.
func (c *Client) resolve(ctx context.Context, ref model.AppRef) (*appWorker, *model.State, error) {
	if strings.TrimSpace(ref.ID) == "" {
		return nil, nil, errors.New("the application ID is empty")
	}
	key := ref.Key()
	c.mu.Lock()
	if oid, ok := c.refs[key]; ok {
		w := c.workers[oid]
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
	f := &readFlight{done: make(chan struct{})}
	c.resolving[key] = f
	c.mu.Unlock()

	f.w, f.st, f.err = c.lookup(ctx, ref)
	if f.err == nil {
		f.w.with(func(a *core.App) { a.Record(f.st) }) // the lookup is a read like any other: later readers share it
	}

	c.mu.Lock()
	delete(c.resolving, key)
	if f.err == nil {
		oid := strings.ToLower(f.w.objectID)
		c.refs[key] = oid
		c.refs[model.ByObjectID(f.w.objectID).Key()] = oid
		if f.st.AppID != "" {
			c.refs[model.ByAppID(f.st.AppID).Key()] = oid
		}
	}
	c.mu.Unlock()
	close(f.done)
	return f.w, f.st, f.err
}

// lookup reads the application ref names. A 404 is retried only for L (core.Lag.NotFoundPolicy): the ID
// may be wrong, or the application may be replicating right after its creation.
func (c *Client) lookup(ctx context.Context, ref model.AppRef) (*appWorker, *model.State, error) {
	var m *model.Object
	start := c.now()
	p := callPolicy{what: "GET " + ref.String()}
	p.NotFound, p.NotFoundWindow = c.lag().NotFoundPolicy(false)
	err := c.retry(ctx, p, func(ctx context.Context) (err error) {
		if ref.Kind != model.RefObjectID {
			m, err = c.reads.byAppID.read(ctx, ref.ID, false)
		}
		// model.RefAuto falls back to the object ID form when no application has that client ID.
		if ref.Kind == model.RefObjectID || (ref.Kind != model.RefAppID && errors.Is(err, model.ErrNotFound)) {
			m, err = c.reads.byObjectID.read(ctx, ref.ID, false)
		}
		if err == nil && m.ID == "" {
			err = errors.New("microsoft graph returned an application without an object ID")
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	st := model.FromObject(m)
	st.ReadAt = start
	return c.workerFor(st.ObjectID), st, nil
}
