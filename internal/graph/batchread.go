package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Reads of different applications needed at the same moment share one request, and so do the lookups
// of service principals (ClientVisible): the rules are in DESIGN.md ("Reads of different applications
// share requests"). A read is one attempt; the caller's retry policy decides what happens next.

// directoryObject is what a batcher reads: an application or a service principal.
type directoryObject interface {
	GetId() *string
	GetAppId() *string
}

// errNotListed answers a presence lookup whose object a filtered list did not return.
var errNotListed = fmt.Errorf("%w: not in Graph's filtered list", ErrNotFound)

// readKind is the property a batched read names its object by.
type readKind string

const (
	readByObjectID readKind = "id"
	readByAppID    readKind = "appId"
)

// readBatcher queues the reads of one kind of one resource and sends them.
type readBatcher[T directoryObject] struct {
	c      *Client
	kind   readKind
	single func(context.Context, string) (T, error)   // the GET of one object
	list   func(context.Context, string) ([]T, error) // one filtered list, by $filter

	mu        sync.Mutex
	waiting   []*readWaiter[T]
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
type readWaiter[T directoryObject] struct {
	ctx      context.Context
	id       string    // lower case
	presence bool      // a presence lookup: it may linger, and not being listed is its answer
	queued   time.Time // when it joined the queue
	done     chan struct{}
	m        T // the object, unset when the list did not return it
	err      error
	// alone is set when the caller must send a single GET itself: the list did not return the
	// application, or lists do not serve.
	alone bool
	// omitted is set when the list was answered without the application.
	omitted bool
}

// readBatchers are a client's batchers, one per kind and resource.
type readBatchers struct {
	byObjectID readBatcher[models.Applicationable]
	byAppID    readBatcher[models.Applicationable]
	spByAppID  readBatcher[models.ServicePrincipalable] // presence lookups only (ClientVisible)
}

func (r *readBatchers) init(c *Client) {
	apps := func(ctx context.Context, filter string) ([]models.Applicationable, error) {
		return c.listFiltered(ctx, filter, selectFields)
	}
	r.byObjectID = readBatcher[models.Applicationable]{c: c, kind: readByObjectID, single: c.getByObjectID, list: apps}
	r.byAppID = readBatcher[models.Applicationable]{c: c, kind: readByAppID, single: c.getByAppID, list: apps}
	r.spByAppID = readBatcher[models.ServicePrincipalable]{c: c, kind: readByAppID, single: c.getServicePrincipal, list: c.listServicePrincipals}
}

// readApplication reads one application by object ID: one attempt, batched with the reads of other
// applications in flight at the same moment.
func (c *Client) readApplication(ctx context.Context, objectID string) (models.Applicationable, error) {
	return c.reads.byObjectID.read(ctx, objectID, false)
}

// readApplicationByAppID reads one application by client ID, batched like readApplication.
func (c *Client) readApplicationByAppID(ctx context.Context, appID string) (models.Applicationable, error) {
	return c.reads.byAppID.read(ctx, appID, false)
}

// read queues the read, or sends it alone when batching is off or the ID is no GUID (a list names
// only GUIDs: anything else would make Graph refuse the whole list). A read that ends the sender's
// linger (lingerLocked) wakes it.
func (b *readBatcher[T]) read(ctx context.Context, id string, presence bool) (T, error) {
	if b.c.cfg.DisableReadBatching || b.off.Load() || uuid.Validate(id) != nil {
		return b.single(ctx, id)
	}
	w := &readWaiter[T]{ctx: ctx, id: strings.ToLower(id), presence: presence, queued: b.c.now(), done: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, w)
	start := b.senders == 0 || b.stalledLocked() // else a sender between two requests takes the queue
	if start {
		b.senders++
	}
	if b.hurry != nil && b.lingerLocked() <= 0 {
		close(b.hurry)
		b.hurry = nil
	}
	b.mu.Unlock()
	if start {
		go b.send()
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	if !w.alone {
		return w.m, w.err
	}
	m, err := b.single(ctx, id)
	if w.omitted && err == nil && b.omissions.Add(1) == core.MaxListOmissions {
		b.off.Store(true)
		b.c.logWarn(ctx, "Microsoft Graph's filtered lists keep leaving out objects that a GET finds; reading each alone",
			map[string]any{"filter_property": string(b.kind)})
	}
	return m, err
}

// lingerLocked is how much longer the sender waits for more reads before it takes the queue
// (core.Linger, with Config.VisibilityWindow). Caller holds b.mu.
func (b *readBatcher[T]) lingerLocked() time.Duration {
	if len(b.waiting) == 0 {
		return 0
	}
	named, presenceOnly := make(map[string]bool), true
	for _, w := range b.waiting {
		presenceOnly = presenceOnly && w.presence
		named[w.id] = true
	}
	return core.Linger(presenceOnly, len(named), b.waiting[0].queued, b.c.now(), b.c.cfg.VisibilityWindow)
}

// send sends b's queue, one request at a time, until the queue is empty.
func (b *readBatcher[T]) send() {
	for {
		b.mu.Lock()
		if wait := b.lingerLocked(); wait > 0 {
			hurry := make(chan struct{})
			b.hurry = hurry
			b.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-hurry:
			}
			t.Stop()
			b.mu.Lock()
			if b.hurry == hurry {
				b.hurry = nil
			}
		}
		batch, ids := b.takeLocked()
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
func (b *readBatcher[T]) stalledLocked() bool {
	return core.Stalled(b.senders, b.inRequest, b.sentAt, b.c.now())
}

// unstall starts a sender for the reads queued behind requests out for core.ReadStallAfter (hung).
func (b *readBatcher[T]) unstall() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) > 0 && b.stalledLocked() {
		b.senders++
		go b.send()
	}
}

// takeLocked removes from the queue the waiters of the next request and returns them with the
// distinct applications they name (at most MaxVisibilityBatch, in queue order); those whose caller
// gave up are dropped. Caller holds b.mu.
func (b *readBatcher[T]) takeLocked() (batch []*readWaiter[T], ids []string) {
	named := make(map[string]bool)
	rest := b.waiting[:0]
	for _, w := range b.waiting {
		switch {
		case w.ctx.Err() != nil:
			close(w.done)
		case named[w.id] || len(ids) < MaxVisibilityBatch:
			if !named[w.id] {
				named[w.id] = true
				ids = append(ids, w.id)
			}
			batch = append(batch, w)
		default:
			rest = append(rest, w)
		}
	}
	clear(b.waiting[len(rest):])
	b.waiting = rest
	return batch, ids
}

// answer sends one request for the batch (naming ids) and answers its waiters. A batch naming one
// object is its single GET; more are one filtered list. The request has its own RequestTimeout (the
// waiters' own timeouts also count the time they queued).
func (b *readBatcher[T]) answer(batch []*readWaiter[T], ids []string) {
	c := b.c
	ctxs := make([]context.Context, len(batch))
	for i, w := range batch {
		ctxs[i] = w.ctx
	}
	live, release := whileAnyLive(ctxs)
	defer release()
	ctx := live
	if c.cfg.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(live, c.cfg.RequestTimeout)
		defer cancel()
	}
	if len(ids) > 1 && b.off.Load() {
		answerAlone(batch)
		return
	}
	var found map[string]T
	var err error
	if len(ids) == 1 {
		var m T
		m, err = b.single(ctx, ids[0])
		found = map[string]T{ids[0]: m}
	} else {
		found, err = b.listByID(ctx, ids)
	}
	if err != nil && live.Err() == nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%s): %w", core.ErrRequestTimeout, c.cfg.RequestTimeout, err)
	}
	if err != nil && len(ids) > 1 {
		switch mapped := model.ErrorFromSDK(err, time.Now()); {
		case errors.As(mapped, new(*ForbiddenError)):
			// The identity may not list applications; it may still read its own one by one.
			if !b.off.Swap(true) {
				c.logWarn(ctx, "Microsoft Graph refused a filtered list; reading each object alone",
					map[string]any{"filter_property": string(b.kind), "error": err.Error()})
			}
			answerAlone(batch)
			return
		case errors.As(mapped, new(*ValidationError)):
			// Something in this list does not suit Graph; each read alone gets its own answer.
			answerAlone(batch)
			return
		}
	}
	for _, w := range batch {
		switch m, ok := found[w.id]; {
		case err != nil:
			w.err = err
		case ok:
			w.m = m
		case w.presence:
			w.err = errNotListed
		default:
			w.alone, w.omitted = true, true
		}
		close(w.done)
	}
}

// answerAlone tells every waiter of the batch to send its own GET.
func answerAlone[T directoryObject](batch []*readWaiter[T]) {
	for _, w := range batch {
		w.alone = true
		close(w.done)
	}
}

// listByID sends one filtered list naming ids (core.Filter) and returns the objects listed, by
// lower-case ID of b's kind.
func (b *readBatcher[T]) listByID(ctx context.Context, ids []string) (map[string]T, error) {
	objs, err := b.list(ctx, core.Filter(string(b.kind), ids...))
	if err != nil {
		return nil, err
	}
	found := make(map[string]T, len(objs))
	for _, m := range objs {
		key := m.GetId()
		if b.kind == readByAppID {
			key = m.GetAppId()
		}
		found[strings.ToLower(model.Deref(key))] = m
	}
	return found, nil
}
