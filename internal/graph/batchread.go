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

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// errNotListed answers a presence lookup whose object a filtered list did not return.
var errNotListed = fmt.Errorf("%w: not in Graph's filtered list", model.ErrNotFound)

// readBatcher queues the reads of the collection coll by the property prop ("id" or "appId") and sends
// them, several in one request (DESIGN.md, "Reads of different applications share requests"; the
// queue's rules are core/batchread.go's). A read is one attempt: the caller's policy retries it.
type readBatcher struct {
	c          *Client
	prop, coll string
	sel        []string

	mu        sync.Mutex
	waiting   []core.Queued[*readWaiter]
	senders   int           // goroutines sending the queue
	inRequest int           // senders waiting for an answer
	sentAt    time.Time     // when the latest request was sent
	hurry     chan struct{} // closed to end the wait of a sender that lingers
	off       atomic.Bool   // lists do not serve (Graph refused one with 403, or MaxListOmissions): single GETs
	omissions atomic.Int32  // objects a list left out that a single GET then found
}

// readWaiter is one caller's read. Its answer is m (nil when not listed) or err; or alone: the caller
// sends a single GET itself (omitted: the list left the object out).
type readWaiter struct {
	ctx            context.Context
	done           chan struct{}
	m              *model.Object
	err            error
	alone, omitted bool
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
		close(b.hurry)
		b.hurry = nil
	}
	b.mu.Unlock()
	b.start()
	if err := await(ctx, w.done); err != nil {
		return nil, err
	}
	if !w.alone {
		return w.m, w.err
	}
	m, err := b.single(ctx, id)
	if w.omitted && err == nil && b.omissions.Add(1) == core.MaxListOmissions {
		b.off.Store(true)
		b.c.logWarn(ctx, "Microsoft Graph's filtered lists keep leaving out objects that a GET finds; reading each alone",
			map[string]any{"filter_property": b.prop})
	}
	return m, err
}

// start starts a sender when reads are queued and core.Stalled says they need one of their own.
func (b *readBatcher) start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) > 0 && core.Stalled(b.senders, b.inRequest, b.sentAt, b.c.now()) {
		b.senders++
		go b.send()
	}
}

// send sends b's queue, one request at a time (core.Take), until the queue is empty; it lingers
// first while core.LingerFor says so.
func (b *readBatcher) send() {
	for {
		b.mu.Lock()
		if wait := core.LingerFor(b.waiting, b.c.now(), core.VisibilityWindow); wait > 0 {
			hurry := make(chan struct{})
			b.hurry = hurry
			b.mu.Unlock()
			select { // since Go 1.23 an unreferenced timer is collected: time.After needs no Stop
			case <-time.After(wait):
			case <-hurry:
			}
			b.mu.Lock()
		}
		batch, rest, ids := core.Take(b.waiting, func(w *readWaiter) bool { return w.ctx.Err() != nil })
		b.waiting = rest
		if len(batch) == 0 {
			b.senders--
			b.mu.Unlock()
			return
		}
		b.sentAt = b.c.now()
		b.inRequest++
		b.mu.Unlock()
		stalled := time.AfterFunc(core.ReadStallAfter, b.start) // nor are reads queued before it stalled
		b.answer(batch, ids)
		stalled.Stop()
		b.mu.Lock()
		b.inRequest--
		b.mu.Unlock()
	}
}

// answer sends one request for the batch (naming ids) and answers its waiters: a batch naming one
// object is its single GET, more are one filtered list (core.Filter; a refusal, core.ListRefusal).
// The request is one attempt with its own timeout; it ends when the last waiter has gone.
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
				if m != nil && b.prop == "id" {
					found[strings.ToLower(m.ID)] = m
				} else if m != nil {
					found[strings.ToLower(m.AppID)] = m
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
		case alone:
			w.alone = true
		case err != nil:
			w.err = err
		case ok:
			w.m = m
		case r.Presence:
			w.err = errNotListed
		default:
			w.alone, w.omitted = true, true
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
