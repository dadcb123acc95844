package graph

import (
	"context"
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

// Reads of different objects needed at the same moment share one request (DESIGN.md, "Reads of
// different applications share requests"; the queue's rules are core/batchread.go's). A read is one
// attempt; the caller's retry policy decides what happens next.

// errNotListed answers a presence lookup whose object a filtered list did not return.
var errNotListed = fmt.Errorf("%w: not in Graph's filtered list", model.ErrNotFound)

// The properties a batched read names its object by.
const (
	readByObjectID = "id"
	readByAppID    = "appId"
)

// readBatcher queues the reads of one kind of one resource (an application or a service principal)
// and sends them.
type readBatcher struct {
	c    *Client
	kind string   // readByObjectID or readByAppID
	coll string   // the collection's path, such as "/applications"
	sel  []string // the properties read

	mu        sync.Mutex
	waiting   []*readWaiter
	senders   int           // goroutines sending the queue
	inRequest int           // senders waiting for an answer
	sentAt    time.Time     // when the latest request was sent
	hurry     chan struct{} // closed to end the wait of a sender that lingers; nil when none does
	// off is set when lists do not serve: Graph refused one (403), or lists left out applications a
	// single GET found core.MaxListOmissions times. From then on every read is a single GET.
	off       atomic.Bool
	omissions atomic.Int32
}

// readWaiter is one caller's read.
type readWaiter struct {
	core.Queued
	ctx  context.Context
	done chan struct{}
	m    *model.Object // the object, nil when the list did not return it
	err  error
	// alone is set when the caller must send a single GET itself: the list did not return the
	// application (omitted), or lists do not serve.
	alone, omitted bool
}

// readBatchers are a client's batchers, one per kind and resource.
type readBatchers struct {
	byObjectID readBatcher
	byAppID    readBatcher
	spByAppID  readBatcher // presence lookups only (ClientVisible)
}

func (r *readBatchers) init(c *Client) {
	r.byObjectID = readBatcher{c: c, kind: readByObjectID, coll: "/applications", sel: selectFields}
	r.byAppID = readBatcher{c: c, kind: readByAppID, coll: "/applications", sel: selectFields}
	r.spByAppID = readBatcher{c: c, kind: readByAppID, coll: "/servicePrincipals", sel: []string{"id", "appId"}}
}

// single sends one GET of the object: coll/{id}, or coll(appId='{id}').
func (b *readBatcher) single(ctx context.Context, id string) (*model.Object, error) {
	path := b.coll + "/" + url.PathEscape(id)
	if b.kind == readByAppID {
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
	w := &readWaiter{Queued: core.Queued{ID: strings.ToLower(id), Presence: presence, At: b.c.now()}, ctx: ctx, done: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, w)
	start := b.senders == 0 || b.stalledLocked() // else a sender between two requests takes the queue
	if start {
		b.senders++
	}
	if b.hurry != nil && core.LingerFor(b.waiting, b.c.now(), core.VisibilityWindow) <= 0 {
		close(b.hurry)
		b.hurry = nil
	}
	b.mu.Unlock()
	if start {
		go b.send()
	}
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
			map[string]any{"filter_property": b.kind})
	}
	return m, err
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
			if b.hurry == hurry {
				b.hurry = nil
			}
		}
		batch, rest, dropped, ids := core.Take(b.waiting, func(w *readWaiter) bool { return w.ctx.Err() != nil })
		b.waiting = rest
		for _, w := range dropped {
			close(w.done)
		}
		if len(batch) == 0 {
			b.senders--
			b.mu.Unlock()
			return
		}
		b.sentAt = b.c.now()
		b.inRequest++
		b.mu.Unlock()
		stalled := time.AfterFunc(core.ReadStallAfter, b.unstall) // nor are reads queued before it stalled
		b.answer(batch, ids)
		stalled.Stop()
		b.mu.Lock()
		b.inRequest--
		b.mu.Unlock()
	}
}

// stalledLocked is core.Stalled of the batcher. Caller holds b.mu.
func (b *readBatcher) stalledLocked() bool {
	return core.Stalled(b.senders, b.inRequest, b.sentAt, b.c.now())
}

// unstall starts a sender for the reads queued behind requests out for core.ReadStallAfter (hung).
func (b *readBatcher) unstall() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) > 0 && b.stalledLocked() {
		b.senders++
		go b.send()
	}
}

// answer sends one request for the batch (naming ids) and answers its waiters: a batch naming one
// object is its single GET, more are one filtered list (core.Filter; a refusal, core.ListRefusal).
// The request is one attempt with its own timeout (the waiters' own timeouts also count the time they
// queued); it ends when the last waiter has gone.
func (b *readBatcher) answer(batch []*readWaiter, ids []string) {
	ctxs := make([]context.Context, len(batch))
	for i, w := range batch {
		ctxs[i] = w.ctx
	}
	live, release := whileAnyLive(ctxs)
	defer release()
	if len(ids) > 1 && b.off.Load() {
		answerAlone(batch)
		return
	}
	found := make(map[string]*model.Object, len(ids))
	err := b.c.attempt(live, 1, func(ctx context.Context) error {
		if len(ids) == 1 {
			m, err := b.single(ctx, ids[0])
			found[ids[0]] = m
			return err
		}
		objs, _, err := b.c.list(ctx, b.coll+query(core.Filter(b.kind, ids...), b.sel...))
		for _, m := range objs {
			if m != nil && b.kind == readByObjectID {
				found[strings.ToLower(m.ID)] = m
			} else if m != nil {
				found[strings.ToLower(m.AppID)] = m
			}
		}
		return err
	})
	if e, ok := model.AsAPIError(err); ok && len(ids) > 1 {
		if alone, off := core.ListRefusal(e.StatusCode); alone {
			if off && !b.off.Swap(true) {
				b.c.logWarn(live, "Microsoft Graph refused a filtered list; reading each object alone",
					map[string]any{"filter_property": b.kind, "error": err.Error()})
			}
			answerAlone(batch)
			return
		}
	}
	for _, w := range batch {
		switch m, ok := found[w.ID]; {
		case err != nil:
			w.err = err
		case ok:
			w.m = m
		case w.Presence:
			w.err = errNotListed
		default:
			w.alone, w.omitted = true, true
		}
		close(w.done)
	}
}

// answerAlone tells every waiter of the batch to send its own GET.
func answerAlone(batch []*readWaiter) {
	for _, w := range batch {
		w.alone = true
		close(w.done)
	}
}
