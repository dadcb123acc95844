package graph

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Reads of different applications that are needed at the same moment share one request.
//
// A platform repository changes a hundred agents with Terraform's ten slots: at any moment several
// workers need a read (the base of a write, a confirmation, a refresh), each of its own application.
// One GET /applications?$filter=id in (…) answers up to MaxVisibilityBatch of them in one request,
// served by one replica, as consistent as the single GETs it replaces.
//
// The batching costs no wait when reads are rare: a read that finds no request of its kind in flight
// is sent at once, as the single GET it always was. Reads that arrive while one is in flight queue,
// and go together as soon as it is answered. A read is one attempt: the caller's retry policy (404
// windows, stale replicas, throttling) decides what happens next, exactly as for a single GET. An
// application the list does not return is read alone, so that a 404 is Graph's own answer.

// readKind is the property a batched read names its application by.
type readKind string

const (
	readByObjectID readKind = "id"
	readByAppID    readKind = "appId"
)

// readBatcher queues the reads of one kind and sends them, one request in flight at a time.
type readBatcher struct {
	kind   readKind
	single func(context.Context, string) (models.Applicationable, error) // the GET of one application

	mu      sync.Mutex
	waiting []*readWaiter
	busy    bool // a request of this kind is in flight; its sender sends the queue next
	// listRefused is set when Graph refused a filtered list (403 or 400): from then on every read is
	// a single GET, which the identity may still be allowed.
	listRefused atomic.Bool
}

// readWaiter is one caller's read.
type readWaiter struct {
	ctx  context.Context
	id   string // lower case
	done chan struct{}
	m    models.Applicationable // the application, nil when the list did not return it
	err  error
	// alone is set when the caller must send a single GET itself: the list did not return the
	// application, or lists are refused.
	alone bool
}

// readBatchers are a client's batchers, one per kind.
type readBatchers struct {
	byObjectID readBatcher
	byAppID    readBatcher
}

func (r *readBatchers) init(c *Client) {
	r.byObjectID.kind, r.byObjectID.single = readByObjectID, c.getByObjectID
	r.byAppID.kind, r.byAppID.single = readByAppID, c.getByAppID
}

// readApplication reads one application by object ID: one attempt, batched with the reads of other
// applications in flight at the same moment.
func (c *Client) readApplication(ctx context.Context, objectID string) (models.Applicationable, error) {
	return c.batchedRead(ctx, &c.reads.byObjectID, objectID)
}

// readApplicationByAppID reads one application by client ID, batched like readApplication.
func (c *Client) readApplicationByAppID(ctx context.Context, appID string) (models.Applicationable, error) {
	return c.batchedRead(ctx, &c.reads.byAppID, appID)
}

// batchedRead queues the read on b, or sends it alone when batching is off or refused.
func (c *Client) batchedRead(ctx context.Context, b *readBatcher, id string) (models.Applicationable, error) {
	if c.cfg.BatchReads < 0 || b.listRefused.Load() {
		return b.single(ctx, id)
	}
	w := &readWaiter{ctx: ctx, id: strings.ToLower(id), done: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, w)
	start := !b.busy
	b.busy = true
	b.mu.Unlock()
	if start {
		go c.sendReads(b)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if w.alone {
		return b.single(ctx, id)
	}
	return w.m, w.err
}

// sendReads sends b's queue, one request at a time, until the queue is empty.
func (c *Client) sendReads(b *readBatcher) {
	for {
		b.mu.Lock()
		batch := b.takeLocked()
		if len(batch) == 0 {
			b.busy = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		c.answerReads(b, batch)
	}
}

// takeLocked removes from the queue the waiters of the next request: those whose caller gave up are
// dropped, and at most MaxVisibilityBatch distinct applications are named. Caller holds b.mu.
func (b *readBatcher) takeLocked() []*readWaiter {
	var batch []*readWaiter
	ids := make(map[string]bool)
	rest := b.waiting[:0]
	for _, w := range b.waiting {
		switch {
		case w.ctx.Err() != nil:
			close(w.done)
		case ids[w.id] || len(ids) < MaxVisibilityBatch:
			ids[w.id] = true
			batch = append(batch, w)
		default:
			rest = append(rest, w)
		}
	}
	clear(b.waiting[len(rest):])
	b.waiting = rest
	return batch
}

// answerReads sends one request for the batch and answers its waiters. A batch naming one
// application is its single GET; more are one filtered list.
func (c *Client) answerReads(b *readBatcher, batch []*readWaiter) {
	ctxs := make([]context.Context, len(batch))
	for i, w := range batch {
		ctxs[i] = w.ctx
	}
	ctx, release := whileAnyLive(ctxs)
	defer release()
	var ids []string
	seen := make(map[string]bool)
	for _, w := range batch {
		if !seen[w.id] {
			seen[w.id] = true
			ids = append(ids, w.id)
		}
	}
	if len(ids) == 1 {
		m, err := b.single(ctx, ids[0])
		for _, w := range batch {
			w.m, w.err = m, err
			close(w.done)
		}
		return
	}
	found := make(map[string]models.Applicationable, len(ids))
	resp, err := applications.NewApplicationsRequestBuilderInternal(map[string]string{}, c.adapter).Get(ctx,
		&applications.ApplicationsRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{
				Filter: ptr(inFilter(string(b.kind), ids)), Select: selectFields,
			},
		})
	if err == nil {
		for _, m := range resp.GetValue() {
			if m == nil {
				continue
			}
			key := deref(m.GetId())
			if b.kind == readByAppID {
				key = deref(m.GetAppId())
			}
			found[strings.ToLower(key)] = m
		}
	} else if refusesLists(mapError(err)) {
		b.listRefused.Store(true)
		c.logWarn(ctx, "Microsoft Graph refused a filtered list of applications; reading each application alone",
			map[string]any{"error": err.Error()})
		err = nil
	}
	for _, w := range batch {
		switch m := found[w.id]; {
		case err != nil:
			w.err = err
		case m != nil:
			w.m = m
		default:
			w.alone = true
		}
		close(w.done)
	}
}

// refusesLists reports whether err says the identity may not list applications this way (403) or
// Graph does not take the filter (400), as opposed to a failure worth retrying.
func refusesLists(err error) bool {
	var forbidden *ForbiddenError
	if errors.As(err, &forbidden) {
		return true
	}
	e, ok := graphDetails(err)
	return ok && e.StatusCode == 400
}

func ptr[T any](v T) *T { return &v }
