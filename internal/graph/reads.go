package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
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
	p.NotFound, p.NotFoundWindow = w.c.lag().NotFoundPolicy(locked(w, func(a *core.App) bool { return a.Written }))
	p.onRetry = func(err error) { w.with(func(a *core.App) { a.Retrying(err, w.c.now()) }) }
	return p
}

// read reads the application under the retry policy, repeating a read core.App.LooksOld calls behind
// for core.Lag.OverwriteAfter, then taking it as another writer's; a confirmation's read takes what it gets.
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
			if ctx.Err() == nil && isContextEnd(f.err) { // its leader gave up, not this reader: again
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
// application (by client ID first for model.RefAuto; core.Lag.NotFoundPolicy) and returns that read,
// later calls only the worker. Concurrent first calls share one lookup.
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
		if ctx.Err() == nil && isContextEnd(f.err) { // its leader gave up, not this caller: again
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
		c.refs[key], c.refs[model.ByObjectID(oid).Key()], c.refs[model.ByAppID(f.st.AppID).Key()] = f.w, f.w, f.w
	}
	c.mu.Unlock()
	close(f.done)
	return f.w, f.st, f.err
}

// await waits until ch is closed (or sends) or ctx ends.
func await[T any](ctx context.Context, ch <-chan T) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errNotListed answers a read whose object a filtered list did not return: a presence lookup's
// answer; any other read then asks Graph with a GET of its own.
var errNotListed = fmt.Errorf("%w: not in Graph's filtered list", model.ErrNotFound)

// readBatcher queues the reads of the collection coll by the property prop ("id" or "appId") and sends
// them, several in one request. A read is one attempt: the caller's policy retries it.
type readBatcher struct {
	c          *Client
	prop, coll string
	sel        []string

	mu        sync.Mutex
	waiting   []core.Queued[*readWaiter]
	sending   bool         // a goroutine sends the queue (send)
	hurry     func()       // ends the wait of a sender that lingers (nil: none lingered yet)
	off       atomic.Bool  // lists do not serve (Graph refused one with 403, or MaxListOmissions): single GETs
	omissions atomic.Int32 // objects a list left out that a single GET then found
}

// readWaiter is one caller's read. Its answer is m or err; neither: the caller sends its own GET.
type readWaiter struct {
	ctx  context.Context
	done chan struct{}
	m    *model.Object
	err  error
}

// single sends one GET of the object: coll/{id}, or coll(appId='{id}').
func (b *readBatcher) single(ctx context.Context, id string) (*model.Object, error) {
	path := b.coll + "/" + url.PathEscape(id)
	if b.prop == "appId" {
		path = b.coll + "(appId='" + url.PathEscape(id) + "')"
	}
	var o model.Object
	if err := b.c.do(ctx, http.MethodGet, path+query("", b.sel...), nil, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// read queues the read, or sends it alone when batching is off or the ID is no GUID (anything else
// would make Graph refuse the whole list). A read that ends the sender's linger wakes it.
func (b *readBatcher) read(ctx context.Context, id string, presence bool) (*model.Object, error) {
	if b.off.Load() || uuid.Validate(id) != nil {
		return b.single(ctx, id)
	}
	w := &readWaiter{ctx: ctx, done: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, core.Queued[*readWaiter]{ID: strings.ToLower(id), Presence: presence, At: b.c.now(), W: w})
	if b.hurry != nil && core.LingerFor(b.waiting, b.c.now(), core.VisibilityWindow) <= 0 {
		b.hurry()
	}
	if !b.sending {
		b.sending = true
		go b.send()
	}
	b.mu.Unlock()
	if err := await(ctx, w.done); err != nil {
		return nil, err
	}
	omitted := errors.Is(w.err, errNotListed) && !presence
	if w.m != nil || w.err != nil && !omitted {
		return w.m, w.err
	}
	m, err := b.single(ctx, id)
	if omitted && err == nil && b.omissions.Add(1) == core.MaxListOmissions {
		b.off.Store(true)
		b.c.logWarn(ctx, "Microsoft Graph's filtered lists keep leaving out objects that a GET finds; reading each alone",
			map[string]any{"filter_property": b.prop})
	}
	return m, err
}

// send sends b's queue, one request at a time (core.Take; lingering first as core.LingerFor says),
// until it is empty. A request holds the reads behind it for core.ReadStallAfter at most.
func (b *readBatcher) send() {
	for {
		b.mu.Lock()
		if wait := core.LingerFor(b.waiting, b.c.now(), core.VisibilityWindow); wait > 0 {
			lingering, hurry := context.WithTimeout(context.Background(), wait)
			b.hurry = hurry
			b.mu.Unlock()
			<-lingering.Done()
			b.mu.Lock()
		}
		batch, rest, ids := core.Take(b.waiting, func(w *readWaiter) bool { return w.ctx.Err() != nil })
		b.waiting, b.sending = rest, len(batch) > 0
		b.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		held, answered := context.WithTimeout(context.Background(), core.ReadStallAfter)
		go func() {
			defer answered()
			b.answer(batch, ids)
		}()
		<-held.Done() // answered, or stalled
	}
}

// answer sends one attempt for the batch naming ids (one ID: its single GET, more: a filtered list;
// a refusal, core.ListRefusal) and answers its waiters. It ends when the last waiter has gone.
func (b *readBatcher) answer(batch []core.Queued[*readWaiter], ids []string) {
	live, release := whileAnyLive(batch, func(r core.Queued[*readWaiter]) context.Context { return r.W.ctx })
	defer release()
	found := make(map[string]*model.Object, len(ids))
	alone := len(ids) > 1 && b.off.Load()
	var err error
	if !alone {
		err = b.c.attempt(live, 1, func(ctx context.Context) error {
			if len(ids) == 1 {
				m, err := b.single(ctx, ids[0])
				found[ids[0]] = m
				return err
			}
			objs, _, err := b.c.list(ctx, b.coll+query(core.Filter(b.prop, ids...), b.sel...))
			for _, m := range objs {
				if m != nil { // by both IDs: the list named one of them (distinct GUIDs never collide)
					found[strings.ToLower(m.ID)], found[strings.ToLower(m.AppID)] = m, m
				}
			}
			return err
		})
	}
	if e, ok := model.AsAPIError(err); ok && len(ids) > 1 {
		var off bool
		if alone, off = core.ListRefusal(e.StatusCode); off && !b.off.Swap(true) {
			b.c.logWarn(live, "Microsoft Graph refused a filtered list; reading each object alone",
				map[string]any{"filter_property": b.prop, "error": err.Error()})
		}
	}
	for _, r := range batch {
		w := r.W
		switch m, ok := found[r.ID]; {
		case alone: // neither m nor err: the reader sends its own GET
		case err != nil:
			w.err = err
		case ok:
			w.m = m
		default:
			w.err = errNotListed
		}
		close(w.done)
	}
}

// ClientVisible reports whether an application, or else a service principal, with the client ID appID
// is visible to the identity: absence (a 404, or not listed) is no error; other failures are returned.
// Concurrent lookups share lists (DESIGN.md, "Plan-time visibility checks are batched").
func (c *Client) ClientVisible(ctx context.Context, appID string) (bool, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	for _, b := range []*readBatcher{&c.byAppID, &c.spByAppID} {
		err := c.retry(ctx, callPolicy{what: "GET " + b.coll + "(appId=…)"}, func(ctx context.Context) error {
			_, err := b.read(ctx, appID, true)
			return err
		})
		if !errors.Is(err, model.ErrNotFound) {
			return err == nil, err
		}
	}
	return false, nil
}

// OwnedApplications lists the applications the client's identity owns (core.OwnedPath of the token's
// oid claim; app-only: idtyp "app", or no scp claim), with the properties the provider reads. The
// listing calls of `terraform query` write nothing and are snapshots: they bypass the workers.
func (c *Client) OwnedApplications(ctx context.Context) ([]model.Application, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	// The token is read, not verified (it is our own, fresh from the token service), and never logged.
	tok, err := c.bearer(ctx)
	if err != nil {
		return nil, err
	}
	claims, err := auth.UnverifiedClaims(tok)
	if err != nil {
		return nil, fmt.Errorf("reading the Microsoft Graph access token, to know which identity owns the applications: %w", err)
	}
	if claims.ObjectID == "" {
		return nil, errors.New("the Microsoft Graph access token has no oid claim, so the identity that owns the applications is unknown")
	}
	path := core.OwnedPath(strings.ToLower(claims.ObjectID), claims.AppOnly())
	var out []model.Application
	next := path + query("", selectFields...)
	for page := 0; next != "" && page < core.MaxListPages; page++ {
		var objs []*model.Object
		u := next // a next link off the Graph host is refused by do, like any URL there
		err = c.retry(ctx, callPolicy{what: "GET " + path}, func(ctx context.Context) (err error) {
			objs, next, err = c.list(ctx, u)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("listing applications (GET %s): %w", path, err)
		}
		for _, o := range objs {
			if o != nil {
				out = append(out, model.FromObject(o).Application())
			}
		}
	}
	return out, nil
}

// ApplicationDisplayName returns the display name of the application with the client ID appID, or ""
// when the identity cannot see it (a filtered list has no entry where a GET would answer 403 or 404).
func (c *Client) ApplicationDisplayName(ctx context.Context, appID string) (string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var apps []*model.Object
	err := c.retry(ctx, callPolicy{what: "GET /applications?$filter=appId"}, func(ctx context.Context) (err error) {
		apps, _, err = c.list(ctx, "/applications"+query(core.Filter("appId", appID), "id", "appId", "displayName"))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("looking up the display name of application %s: %w", appID, err)
	}
	for _, a := range apps {
		if a != nil && strings.EqualFold(a.AppID, appID) {
			return a.DisplayName, nil
		}
	}
	return "", nil
}
