package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// ReasonNotYetVisible counts confirmation reads that did not show the write yet (a replica behind
// the primary); they are repeated with backoff.
const ReasonNotYetVisible RetryReason = "not_yet_visible"

// maxConfirmWait caps the pause after a confirmation read that did not show the write yet.
const maxConfirmWait = time.Second

// op is one queued mutation. step runs once per group-commit round on a private copy of the state
// read in that round; it must either change the state, report done, defer, or fail.
type op struct {
	ctx      context.Context
	name     string
	step     func(st *appState) stepResult
	done     chan error
	finished bool // set by the worker goroutine only
}

// stepResult is the outcome of one step of an op.
type stepResult struct {
	// done means the op reached its goal once this round's change (if any) is confirmed.
	done bool
	// deferred means the op cannot run in this round (it needs this round's change committed
	// first); its step made no change.
	deferred bool
	// err fails the op; its changes are discarded, the other ops of the round go on.
	err error
}

func (o *op) finish(err error) {
	if o.finished {
		return
	}
	o.finished = true
	o.done <- err
}

// readFlight is one in-flight GET shared by concurrent readers.
type readFlight struct {
	done chan struct{}
	gen  uint64
	st   *appState
	err  error
}

// appWorker serializes and groups the mutations of one application.
type appWorker struct {
	c        *Client
	objectID string

	mu      sync.Mutex
	queue   []*op
	running bool
	flight  *readFlight
	// gen counts confirmed writes; a reader joins an in-flight GET only if no write was confirmed
	// since it started.
	gen uint64
	// expect is the read-your-writes memory: facts this process confirmed present (true) or
	// absent (false). A read that disagrees comes from a replica that is behind.
	expect map[string]bool
	// written is set once this process has PATCHed the application: from then on a 404 is
	// replication lag, retried for NotFoundAfterWriteWindow.
	written bool
	// solo > 0 makes the next rounds apply one changing op each, to find which op of a rejected
	// batch Graph objects to.
	solo int
}

// workerFor returns the worker of the application with the object ID, creating it.
func (c *Client) workerFor(objectID string) *appWorker {
	key := strings.ToLower(objectID)
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.workers[key]
	if !ok {
		w = &appWorker{c: c, objectID: objectID, expect: make(map[string]bool)}
		c.workers[key] = w
	}
	return w
}

// submit queues o and starts the worker if it is idle. hint is a read made moments ago (by the
// lookup of the application) that the first round may use instead of a GET; it is discarded when
// it looks older than this process's confirmed writes.
func (w *appWorker) submit(o *op, hint *appState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = append(w.queue, o)
	if !w.running {
		w.running = true
		go w.run(hint)
	}
}

// run processes rounds until the queue is empty. Each round takes every queued op (group commit).
func (w *appWorker) run(hint *appState) {
	var active []*op
	reuse := hint
	if reuse != nil && w.isStale(reuse) {
		reuse = nil
	}
	for {
		w.mu.Lock()
		active = append(active, w.queue...)
		w.queue = nil
		if len(active) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		active, reuse = w.round(active, reuse)
	}
}

// mergedContext returns a context for a round serving ops: it keeps the values of the first op's
// context (loggers), has the latest deadline of the ops, and is cancelled once every op's context
// is done.
func mergedContext(ops []*op) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ops[0].ctx)
	var latest time.Time
	allDeadlines := true
	for _, o := range ops {
		if d, ok := o.ctx.Deadline(); ok {
			if d.After(latest) {
				latest = d
			}
		} else {
			allDeadlines = false
		}
	}
	ctx, cancel := context.WithCancel(base)
	if allDeadlines {
		var cancelDeadline context.CancelFunc
		ctx, cancelDeadline = context.WithDeadline(ctx, latest)
		prev := cancel
		cancel = func() { cancelDeadline(); prev() }
	}
	var remaining atomic.Int64
	remaining.Store(int64(len(ops)))
	stops := make([]func() bool, 0, len(ops))
	for _, o := range ops {
		stops = append(stops, context.AfterFunc(o.ctx, func() {
			if remaining.Add(-1) == 0 {
				cancel()
			}
		}))
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// round runs one group commit: one read (or the fresh read left by the previous round), every op's
// step in arrival order, one PATCH of the changed collections, confirmation, then the answers. It
// returns the ops that need another round and a fresh read the next round may use.
func (w *appWorker) round(active []*op, reuse *appState) ([]*op, *appState) {
	live := make([]*op, 0, len(active))
	for _, o := range active {
		if err := o.ctx.Err(); err != nil {
			o.finish(fmt.Errorf("%s: %w", o.name, err))
			continue
		}
		live = append(live, o)
	}
	if len(live) == 0 {
		return nil, reuse
	}
	ctx, cancel := mergedContext(live)
	defer cancel()

	base := reuse
	if base == nil {
		st, err := w.read(ctx)
		if err != nil {
			for _, o := range live {
				o.finish(fmt.Errorf("%s: %w", o.name, err))
			}
			return nil, nil
		}
		base = st
	}

	cur := base.clone()
	cur.newScopes = nil
	var contributors, settled []*op // settled: done without a change of their own
	doneAfterCommit := make(map[*op]bool)
	for _, o := range live {
		if w.solo > 0 && len(contributors) > 0 {
			continue // isolating a rejected batch: one changing op per round
		}
		next := cur.clone()
		r := o.step(next)
		switch {
		case r.err != nil:
			o.finish(r.err)
		case r.deferred:
		case changedCollections(cur, next) == 0:
			if r.done {
				settled = append(settled, o)
			} else {
				o.finish(fmt.Errorf("%s: internal error: a step neither changed the application nor finished", o.name))
			}
		default:
			cur = next
			contributors = append(contributors, o)
			doneAfterCommit[o] = r.done
		}
	}

	cols := changedCollections(base, cur)
	if cols == 0 {
		for _, o := range settled {
			o.finish(nil)
		}
		return unfinished(live), base
	}

	w.c.stats.batches.Add(1)
	w.c.stats.mutations.Add(int64(len(contributors)))
	err := w.patch(ctx, cur, cols)
	if w.solo > 0 {
		w.solo--
	}
	if err != nil {
		var invalid *ValidationError
		if errors.As(err, &invalid) && len(contributors) > 1 {
			// Graph rejected the batch; find the culprit by applying the ops one at a time.
			w.solo = len(contributors)
			w.c.logWarn(ctx, "Microsoft Graph rejected a batched change; applying the changes one at a time",
				map[string]any{"object_id": w.objectID, "ops": len(contributors), "code": invalid.Code})
			return unfinished(live), nil
		}
		for _, o := range contributors {
			o.finish(fmt.Errorf("%s: %w", o.name, err))
		}
		return unfinished(live), nil
	}

	fresh, err := w.confirm(ctx, cur, cols)
	if err != nil {
		for _, o := range contributors {
			o.finish(fmt.Errorf("%s: the change was sent but could not be confirmed visible: %w", o.name, err))
		}
		return unfinished(live), nil
	}
	w.remember(base, cur, cols)
	if w.isStale(fresh) {
		fresh = nil // it showed this round's change but misses an older one: read again next round
	}
	for _, o := range contributors {
		if doneAfterCommit[o] {
			o.finish(nil)
		}
	}
	for _, o := range settled {
		o.finish(nil)
	}
	return unfinished(live), fresh
}

func unfinished(ops []*op) []*op {
	var out []*op
	for _, o := range ops {
		if !o.finished {
			out = append(out, o)
		}
	}
	return out
}

// notFoundPolicy returns how 404 answers for this (already resolved) application are retried.
func (w *appWorker) notFoundPolicy(p callPolicy) callPolicy {
	w.mu.Lock()
	written := w.written
	w.mu.Unlock()
	if written {
		p.notFound, p.notFoundWindow = ReasonNotFoundAfterWrite, w.c.cfg.NotFoundAfterWriteWindow
	} else {
		p.notFound, p.notFoundWindow = ReasonNotFoundFirstLookup, w.c.cfg.FirstLookupWindow
	}
	return p
}

// get sends one GET of the application under the retry policy.
func (w *appWorker) get(ctx context.Context, p callPolicy, check func(*appState) error) (*appState, error) {
	var st *appState
	err := w.c.retry(ctx, w.notFoundPolicy(p), func(ctx context.Context) error {
		m, err := w.c.getByObjectID(ctx, w.objectID)
		if err != nil {
			return err
		}
		if m == nil {
			return errors.New("microsoft graph returned no application")
		}
		st = stateFromModel(m)
		if check != nil {
			return check(st)
		}
		return nil
	})
	return st, err
}

// read returns the application as Graph shows it, never older than what this process confirmed:
// a read that lacks a confirmed change is repeated. When reads keep disagreeing for
// StaleReadWindow, the application was changed elsewhere; the read is taken as the truth and the
// memory of confirmed changes is dropped.
func (w *appWorker) read(ctx context.Context) (*appState, error) {
	start := w.c.now()
	p := callPolicy{what: "GET /applications/" + w.objectID, staleWindow: w.c.cfg.StaleReadWindow}
	st, err := w.get(ctx, p, func(st *appState) error {
		if w.isStale(st) {
			return errStaleRead
		}
		return nil
	})
	if errors.Is(err, errStaleRead) && st != nil && w.c.now().Sub(start) >= w.c.cfg.StaleReadWindow {
		w.c.logWarn(ctx, "Microsoft Graph keeps showing the application without changes this process confirmed; "+
			"taking it as changed elsewhere", map[string]any{"object_id": w.objectID})
		w.forget()
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// sharedRead is read with single-flight: concurrent readers share one GET, unless a write was
// confirmed after that GET started.
func (w *appWorker) sharedRead(ctx context.Context) (*appState, error) {
	for {
		w.mu.Lock()
		if f := w.flight; f != nil && f.gen == w.gen {
			w.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			w.c.stats.sharedReads.Add(1)
			if f.err != nil && ctx.Err() == nil &&
				(errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
				continue // the leader gave up for its own reasons; read again
			}
			return f.st, f.err
		}
		f := &readFlight{done: make(chan struct{}), gen: w.gen}
		w.flight = f
		w.mu.Unlock()

		f.st, f.err = w.read(ctx)

		w.mu.Lock()
		if w.flight == f {
			w.flight = nil
		}
		w.mu.Unlock()
		close(f.done)
		return f.st, f.err
	}
}

// patch sends the changed collections of after under the retry policy. Resending is safe: the
// body replaces whole collections.
func (w *appWorker) patch(ctx context.Context, after *appState, cols collection) error {
	body, err := patchBody(after, cols)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.written = true
	w.mu.Unlock()
	p := w.notFoundPolicy(callPolicy{
		what:                   fmt.Sprintf("PATCH /applications/%s (%s)", w.objectID, cols),
		scopeStillEnabled:      cols&colScopes != 0,
		unknownPermissionIsLag: cols&colPreAuth != 0 && referencesResolve(after),
		staleWindow:            w.c.cfg.StaleReadWindow,
	})
	return w.c.retry(ctx, p, func(ctx context.Context) error {
		return w.c.patchByObjectID(ctx, w.objectID, body)
	})
}

// confirm reads until ConfirmReads consecutive reads show the collections in cols as in want, and
// returns the last read.
func (w *appWorker) confirm(ctx context.Context, want *appState, cols collection) (*appState, error) {
	wantFacts := facts(want, cols)
	p := callPolicy{what: "GET /applications/" + w.objectID + " (confirmation)"}
	matches, misses := 0, 0
	for {
		st, err := w.get(ctx, p, nil)
		w.c.stats.confirmReads.Add(1)
		if err != nil {
			return nil, err
		}
		var wait time.Duration
		if sameFacts(facts(st, cols), wantFacts) {
			matches++
			if matches >= w.c.cfg.ConfirmReads {
				return st, nil
			}
			wait = max(w.c.cfg.ConfirmInterval, 0)
		} else {
			matches = 0
			misses++
			w.c.stats.addRetry(ReasonNotYetVisible)
			// Replicas catch up within seconds; polling at most every maxConfirmWait keeps the
			// wait close to the actual lag without hammering Graph.
			wait = min(w.c.cfg.Backoff.delay(misses, w.c.random()), maxConfirmWait)
		}
		if deadline, ok := ctx.Deadline(); ok && w.c.now().Add(wait).After(deadline) {
			return nil, fmt.Errorf("%s not visible on %d consecutive reads before the deadline (%d reads did not show it)",
				cols, w.c.cfg.ConfirmReads, misses)
		}
		if err := w.c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// remember records what a confirmed write changed, for read-your-writes.
func (w *appWorker) remember(before, after *appState, cols collection) {
	pre, post := facts(before, cols), facts(after, cols)
	w.mu.Lock()
	defer w.mu.Unlock()
	for f := range post {
		if !pre[f] {
			w.expect[f] = true
		}
	}
	for f := range pre {
		if !post[f] {
			w.expect[f] = false
		}
	}
	w.gen++
}

// forget drops the read-your-writes memory.
func (w *appWorker) forget() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expect = make(map[string]bool)
}

// isStale reports whether st lacks a change this process confirmed.
func (w *appWorker) isStale(st *appState) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.expect) == 0 {
		return false
	}
	f := facts(st, colAll)
	for k, want := range w.expect {
		if f[k] != want {
			return true
		}
	}
	return false
}

// resolveFlight is one in-flight lookup of an AppRef shared by concurrent callers.
type resolveFlight struct {
	done chan struct{}
	w    *appWorker
	st   *appState
	err  error
}

// resolve returns the worker of the application ref names. The first call per reference reads the
// application (the client ID form first when the kind is RefAuto) and returns that read; later
// calls return only the worker. Concurrent first calls share one lookup.
func (c *Client) resolve(ctx context.Context, ref AppRef) (*appWorker, *appState, error) {
	if strings.TrimSpace(ref.ID) == "" {
		return nil, nil, errors.New("the application ID is empty")
	}
	key := ref.key()
	for {
		c.mu.Lock()
		if oid, ok := c.refs[key]; ok {
			w := c.workers[oid]
			c.mu.Unlock()
			return w, nil, nil
		}
		if f, ok := c.resolving[key]; ok {
			c.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
			if f.err != nil && ctx.Err() == nil &&
				(errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
				continue
			}
			return f.w, f.st, f.err
		}
		f := &resolveFlight{done: make(chan struct{})}
		c.resolving[key] = f
		c.mu.Unlock()

		f.w, f.st, f.err = c.lookup(ctx, ref)

		c.mu.Lock()
		delete(c.resolving, key)
		if f.err == nil {
			oid := strings.ToLower(f.w.objectID)
			c.refs[key] = oid
			c.refs[ByObjectID(f.w.objectID).key()] = oid
			if f.st.appID != "" {
				c.refs[ByAppID(f.st.appID).key()] = oid
			}
		}
		c.mu.Unlock()
		close(f.done)
		return f.w, f.st, f.err
	}
}

// lookup reads the application ref names. A 404 is retried only for FirstLookupWindow: the ID may
// be wrong, or the application may be replicating right after its creation.
func (c *Client) lookup(ctx context.Context, ref AppRef) (*appWorker, *appState, error) {
	var m models.Applicationable
	p := callPolicy{what: "GET " + ref.String(), notFound: ReasonNotFoundFirstLookup, notFoundWindow: c.cfg.FirstLookupWindow}
	err := c.retry(ctx, p, func(ctx context.Context) error {
		var err error
		switch ref.Kind {
		case RefAppID:
			m, err = c.getByAppID(ctx, ref.ID)
		case RefObjectID:
			m, err = c.getByObjectID(ctx, ref.ID)
		default:
			m, err = c.getByAppID(ctx, ref.ID)
			if errors.Is(mapError(err), ErrNotFound) {
				m, err = c.getByObjectID(ctx, ref.ID)
			}
		}
		if err == nil && (m == nil || deref(m.GetId()) == "") {
			err = errors.New("microsoft graph returned an application without an object ID")
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	st := stateFromModel(m)
	return c.workerFor(st.objectID), st, nil
}
