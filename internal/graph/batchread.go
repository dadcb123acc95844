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
// and go together as soon as it is answered; a request out for longer than readStallAfter (a hung
// connection) no longer holds the queue: another is sent beside it. A read is one attempt: the
// caller's retry policy (404 windows, stale replicas, throttling) decides what happens next, exactly
// as for a single GET. An application the list does not return is read alone, so that a 404 is
// Graph's own answer.

// readStallAfter is how long a request in flight holds the reads queued behind it.
const readStallAfter = time.Second

// maxListOmissions is how many applications a list may leave out that a single GET then finds before
// the client stops listing: each costs a list and a GET where a GET would do.
const maxListOmissions = 5

// readKind is the property a batched read names its application by.
type readKind string

const (
	readByObjectID readKind = "id"
	readByAppID    readKind = "appId"
)

// readBatcher queues the reads of one kind and sends them.
type readBatcher struct {
	kind   readKind
	single func(context.Context, string) (models.Applicationable, error) // the GET of one application

	mu        sync.Mutex
	waiting   []*readWaiter
	senders   int       // goroutines sending the queue
	inRequest int       // senders waiting for an answer
	sentAt    time.Time // when the latest request was sent
	// off is set when lists do not serve: Graph refused one (403), or lists left out applications a
	// single GET found more than maxListOmissions times. From then on every read is a single GET.
	off       atomic.Bool
	omissions atomic.Int32
}

// readWaiter is one caller's read.
type readWaiter struct {
	ctx  context.Context
	id   string // lower case
	done chan struct{}
	m    models.Applicationable // the application, nil when the list did not return it
	err  error
	// alone is set when the caller must send a single GET itself: the list did not return the
	// application, or lists do not serve.
	alone bool
	// omitted is set when the list was answered without the application.
	omitted bool
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

// batchedRead queues the read on b, or sends it alone when batching is off or the ID is no GUID (a
// list names only GUIDs: anything else would make Graph refuse the whole list).
func (c *Client) batchedRead(ctx context.Context, b *readBatcher, id string) (models.Applicationable, error) {
	if c.cfg.DisableReadBatching || b.off.Load() || uuid.Validate(id) != nil {
		return b.single(ctx, id)
	}
	w := &readWaiter{ctx: ctx, id: strings.ToLower(id), done: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, w)
	// Another sender starts when none runs, or when every one waits for an answer longer than
	// readStallAfter (a hung connection); a sender between two requests takes the queue next.
	start := b.senders == 0 || (b.inRequest == b.senders && c.now().Sub(b.sentAt) > readStallAfter)
	if start {
		b.senders++
	}
	b.mu.Unlock()
	if start {
		go c.sendReads(b)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if !w.alone {
		return w.m, w.err
	}
	m, err := b.single(ctx, id)
	if w.omitted && err == nil && b.omissions.Add(1) == maxListOmissions {
		b.off.Store(true)
		c.logWarn(ctx, "Microsoft Graph's filtered lists keep leaving out applications that a GET finds; reading each application alone",
			map[string]any{"filter_property": string(b.kind)})
	}
	return m, err
}

// sendReads sends b's queue, one request at a time, until the queue is empty.
func (c *Client) sendReads(b *readBatcher) {
	for {
		b.mu.Lock()
		batch, ids := b.takeLocked()
		if len(batch) == 0 {
			b.senders--
			b.mu.Unlock()
			return
		}
		b.sentAt = c.now()
		b.inRequest++
		b.mu.Unlock()
		c.answerReads(b, batch, ids)
		b.mu.Lock()
		b.inRequest--
		b.mu.Unlock()
	}
}

// takeLocked removes from the queue the waiters of the next request and returns them with the
// distinct applications they name (at most MaxVisibilityBatch, in queue order); those whose caller
// gave up are dropped. Caller holds b.mu.
func (b *readBatcher) takeLocked() (batch []*readWaiter, ids []string) {
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

// answerReads sends one request for the batch (naming ids) and answers its waiters. A batch naming
// one application is its single GET; more are one filtered list. The request has its own RequestTimeout
// (the waiters' own timeouts also count the time they queued).
func (c *Client) answerReads(b *readBatcher, batch []*readWaiter, ids []string) {
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
	var found map[string]models.Applicationable
	var err error
	if len(ids) == 1 {
		var m models.Applicationable
		m, err = b.single(ctx, ids[0])
		found = map[string]models.Applicationable{ids[0]: m}
	} else {
		found, err = c.listByID(ctx, b.kind, ids)
	}
	if err != nil && live.Err() == nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%s): %w", errRequestTimeout, c.cfg.RequestTimeout, err)
	}
	if err != nil && len(ids) > 1 {
		switch mapped := mapError(err); {
		case errors.As(mapped, new(*ForbiddenError)):
			// The identity may not list applications; it may still read its own one by one.
			if !b.off.Swap(true) {
				c.logWarn(ctx, "Microsoft Graph refused a filtered list of applications; reading each application alone",
					map[string]any{"error": err.Error()})
			}
			answerAlone(batch)
			return
		case isBadRequest(mapped):
			// Something in this list does not suit Graph; each read alone gets its own answer.
			answerAlone(batch)
			return
		}
	}
	for _, w := range batch {
		switch m := found[w.id]; {
		case err != nil:
			w.err = err
		case m != nil:
			w.m = m
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

// listByID sends one GET /applications?$filter=<kind> in (…) and returns the applications listed, by
// lower-case ID of that kind.
func (c *Client) listByID(ctx context.Context, kind readKind, ids []string) (map[string]models.Applicationable, error) {
	apps, err := c.listFiltered(ctx, inFilter(string(kind), ids), selectFields)
	if err != nil {
		return nil, err
	}
	found := make(map[string]models.Applicationable, len(apps))
	for _, m := range apps {
		key := deref(m.GetId())
		if kind == readByAppID {
			key = deref(m.GetAppId())
		}
		found[strings.ToLower(key)] = m
	}
	return found, nil
}

// isBadRequest reports whether Graph answered 400.
func isBadRequest(err error) bool {
	e, ok := graphDetails(err)
	return ok && e.StatusCode == 400
}
