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
	// keys are the keys of the intents the op's step changed in its latest round.
	keys map[string]bool
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
	done  chan struct{}
	gen   uint64
	start time.Time
	st    *appState
	err   error
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
	// expect is the read-your-writes memory: the intents this process confirmed, by key. A read
	// that lacks one comes from a replica that is behind, or from after another writer overwrote it
	// (then it shows that writer's change too, and the next round restores ours).
	expect map[string]intent
	// known is the latest state this process confirmed or built on; a read showing changes known
	// lacks is newer than it.
	known *appState
	// foreign is set once another writer's change was seen on the application.
	foreign bool
	// seen holds every version of a scope (scopeFact) this process read or wrote. A replica that
	// is behind shows only versions that existed before; a version never seen is another writer's.
	seen map[string]bool
	// lastWrite is when this process last wrote the application.
	lastWrite time.Time
	// cached is the latest read of the application (started at cachedAt, when gen was cachedGen):
	// reads within ReadReuse with no write of this process since share it.
	cached    *appState
	cachedAt  time.Time
	cachedGen uint64
	// absenceStart is when a reader of this application first missed what it expected: the
	// absence window runs once per application and process, shared by every resource.
	absenceStart time.Time
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
		w = &appWorker{c: c, objectID: objectID, expect: make(map[string]intent), seen: make(map[string]bool)}
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

// A round is one group commit, in five named steps, each below:
//
//  1. gather: one read of the application (or the fresh read the previous round confirmed with),
//     never older than what this process confirmed;
//  2. build: every op's step in arrival order on that read, plus this process's confirmed intents
//     that another writer overwrote since (restore);
//  3. write: one PATCH of the changed collections;
//  4. confirm own intents: reads until they show this batch's intents, re-applying those another
//     writer overwrote, a bounded number of times;
//  5. answer: every caller whose change is confirmed.
//
// It returns the ops that need another round and a fresh read the next round may use.
func (w *appWorker) round(active []*op, reuse *appState) ([]*op, *appState) {
	live := dropCancelled(active)
	if len(live) == 0 {
		return nil, reuse
	}
	ctx, cancel := mergedContext(live)
	defer cancel()

	base, err := w.gather(ctx, reuse)
	if err != nil {
		failAll(live, err)
		return nil, nil
	}
	b := w.build(ctx, base, live)
	if b.cols == 0 {
		for _, o := range b.settled {
			o.finish(nil)
		}
		return unfinished(live), base
	}
	if retry := w.write(ctx, b); retry {
		return unfinished(live), nil
	}
	fresh, freshAt, failed, err := w.confirmOwn(ctx, b)
	if err != nil {
		for _, o := range b.contributors {
			o.finish(fmt.Errorf("%s: the change was sent but could not be confirmed visible: %w", o.name, err))
		}
		return unfinished(live), nil
	}
	w.answer(b, failed, fresh, freshAt)
	return unfinished(live), fresh
}

// batch is what one round sends.
type batch struct {
	base *appState // as read
	cur  *appState // as written
	cols collection
	// intents are the facts cur has that base lacks: the ops' changes and the restored intents.
	intents []intent
	// contributors changed the application; settled are done without a change of their own.
	contributors, settled []*op
	doneAfterCommit       map[*op]bool
}

// dropCancelled answers the ops whose caller gave up and returns the others.
func dropCancelled(active []*op) []*op {
	live := make([]*op, 0, len(active))
	for _, o := range active {
		if err := o.ctx.Err(); err != nil {
			o.finish(fmt.Errorf("%s: %w", o.name, err))
			continue
		}
		live = append(live, o)
	}
	return live
}

func failAll(ops []*op, err error) {
	for _, o := range ops {
		o.finish(fmt.Errorf("%s: %w", o.name, err))
	}
}

// gather returns the state the round builds on: reuse when it is not older than this process's
// confirmed writes, else one read.
func (w *appWorker) gather(ctx context.Context, reuse *appState) (*appState, error) {
	if reuse != nil && !w.looksOld(reuse) {
		return reuse, nil
	}
	start := w.c.now()
	st, err := w.read(ctx)
	if err != nil {
		return nil, err
	}
	w.noteForeign(st)
	w.cacheRead(st, start)
	return st, nil
}

// build runs the ops' steps on a copy of base. Confirmed intents of this process that base does not
// show (another writer overwrote them) are applied first, so the PATCH restores them.
func (w *appWorker) build(ctx context.Context, base *appState, live []*op) *batch {
	b := &batch{base: base, doneAfterCommit: make(map[*op]bool)}
	cur := base.clone()
	cur.newRound()
	if lost := missing(w.expected(), base); len(lost) > 0 {
		w.c.logWarn(ctx, "Microsoft Graph no longer shows changes this process confirmed (another writer "+
			"overwrote them); applying them again", map[string]any{"object_id": w.objectID, "changes": len(lost)})
		w.c.stats.reapplies.Add(1)
		for _, i := range lost {
			if err := i.apply(cur); err != nil && !errors.Is(err, errIntentDeferred) {
				w.drop(i.key()) // e.g. the scope a grant needs is gone: nothing to restore
			}
		}
	}
	for _, o := range live {
		if w.solo > 0 && len(b.contributors) > 0 {
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
				b.settled = append(b.settled, o)
			} else {
				o.finish(fmt.Errorf("%s: internal error: a step neither changed the application nor finished", o.name))
			}
		default:
			o.keys = make(map[string]bool)
			for _, i := range intentsOf(cur, next) {
				o.keys[i.key()] = true
			}
			cur = next
			b.contributors = append(b.contributors, o)
			b.doneAfterCommit[o] = r.done
		}
	}
	b.cur = cur
	b.cols = changedCollections(base, cur)
	b.intents = intentsOf(base, cur)
	return b
}

// write sends the batch. retry is true when the ops must go to another round (Graph rejected a
// batch of several changes: the next rounds apply them one at a time to find the culprit); ops
// that cannot succeed are answered.
func (w *appWorker) write(ctx context.Context, b *batch) (retry bool) {
	w.c.stats.batches.Add(1)
	w.c.stats.mutations.Add(int64(len(b.contributors)))
	err := w.patch(ctx, b.cur, b.cols)
	if w.solo > 0 {
		w.solo--
	}
	if err == nil {
		return false
	}
	var invalid *ValidationError
	if errors.As(err, &invalid) && len(b.contributors) > 1 {
		w.solo = len(b.contributors)
		w.c.logWarn(ctx, "Microsoft Graph rejected a batched change; applying the changes one at a time",
			map[string]any{"object_id": w.objectID, "ops": len(b.contributors), "code": invalid.Code})
		return true
	}
	for _, o := range b.contributors {
		o.finish(fmt.Errorf("%s: %w", o.name, err))
	}
	return true
}

// answer records the confirmed intents and answers the ops: an op one of whose intents could not
// be re-applied fails with that reason; the others succeed (or wait for their next step).
func (w *appWorker) answer(b *batch, failed map[string]error, fresh *appState, freshAt time.Time) {
	w.remember(b.intents, failed)
	w.cacheRead(fresh, freshAt)
	for _, o := range b.contributors {
		var err error
		for k := range o.keys {
			if e := failed[k]; e != nil {
				err = e
				break
			}
		}
		switch {
		case err != nil:
			o.finish(fmt.Errorf("%s: %w", o.name, err))
		case b.doneAfterCommit[o]:
			o.finish(nil)
		}
	}
	for _, o := range b.settled {
		o.finish(nil)
	}
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
// a read that lacks a confirmed change and shows nothing new is from a replica that is behind, and
// is repeated. A read that lacks a confirmed change but shows another writer's change is taken as
// the truth at once; one that keeps lacking it for longer than replication explains (overwriteAfter)
// is taken as the truth too: another writer overwrote it. Either way the memory is kept, so the next
// round restores the change.
func (w *appWorker) read(ctx context.Context) (*appState, error) {
	start := w.c.now()
	window := w.c.overwriteAfter()
	p := callPolicy{what: "GET /applications/" + w.objectID, staleWindow: window}
	st, err := w.get(ctx, p, func(st *appState) error {
		if w.looksOld(st) {
			w.noteStale()
			return errStaleRead
		}
		return nil
	})
	if errors.Is(err, errStaleRead) && st != nil && w.c.now().Sub(start) >= window {
		w.c.logWarn(ctx, "Microsoft Graph keeps showing the application without changes this process confirmed; "+
			"taking them as overwritten by another writer", map[string]any{"object_id": w.objectID})
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// sharedRead is read with single-flight and reuse: a read started at or after notBefore, no
// older than ReadReuse, with no write of this process confirmed since, serves every caller;
// concurrent readers share one GET.
func (w *appWorker) sharedRead(ctx context.Context, notBefore time.Time) (*appState, error) {
	for {
		w.mu.Lock()
		if st := w.cachedLocked(notBefore); st != nil {
			w.mu.Unlock()
			w.c.stats.sharedReads.Add(1)
			return st, nil
		}
		if f := w.flight; f != nil && f.gen == w.gen && !f.start.Before(notBefore) {
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
		f := &readFlight{done: make(chan struct{}), gen: w.gen, start: w.c.now()}
		w.flight = f
		w.mu.Unlock()

		f.st, f.err = w.read(ctx)

		w.mu.Lock()
		if w.flight == f {
			w.flight = nil
		}
		if f.err == nil && f.gen == w.gen {
			w.cached, w.cachedAt, w.cachedGen = f.st, f.start, f.gen
		}
		w.mu.Unlock()
		close(f.done)
		return f.st, f.err
	}
}

// cachedLocked returns the cached read when it may serve a reader. Caller holds w.mu.
func (w *appWorker) cachedLocked(notBefore time.Time) *appState {
	if w.cached == nil || w.cachedGen != w.gen || w.cachedAt.Before(notBefore) ||
		w.c.cfg.ReadReuse < 0 || w.c.now().Sub(w.cachedAt) > w.c.cfg.ReadReuse {
		return nil
	}
	return w.cached
}

// cacheRead records st, a read started at start, as the latest read.
func (w *appWorker) cacheRead(st *appState, start time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sawLocked(st)
	if start.Before(w.cachedAt) {
		return
	}
	w.cached, w.cachedAt, w.cachedGen = st, start, w.gen
}

// absenceDeadline returns when the shared absence window of the application ends, starting it now
// if no reader missed anything yet.
func (w *appWorker) absenceDeadline() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.absenceStart.IsZero() {
		w.absenceStart = w.c.now()
	}
	return w.absenceStart.Add(max(w.c.cfg.AbsenceWindow, 0))
}

// patch sends the changed collections of after under the retry policy. Resending is safe: the
// body replaces whole collections, so a PATCH that Graph committed but answered with a failure
// (a gateway error, a dropped connection) has the same effect when sent again.
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

// remember records the confirmed intents (read-your-writes, and what to restore when another writer
// overwrites them), except those that failed.
func (w *appWorker) remember(intents []intent, failed map[string]error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, i := range intents {
		if failed[i.key()] == nil {
			w.expect[i.key()] = i
			if i.kind == intentScope && i.present {
				w.seen[scopeFact(i.scope)] = true
			}
		}
	}
	w.gen++
}

// expected returns the confirmed intents.
func (w *appWorker) expected() []intent {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]intent, 0, len(w.expect))
	for _, i := range w.expect {
		out = append(out, i)
	}
	return out
}

// drop forgets one confirmed intent.
func (w *appWorker) drop(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.expect, key)
}

// looksOld reports whether st lacks an intent this process confirmed and shows nothing another
// writer changed since this process last saw the application: a replica that is behind.
func (w *appWorker) looksOld(st *appState) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	lacks := false
	for _, i := range w.expect {
		if !i.holds(st) {
			lacks = true
			break
		}
	}
	return lacks && !w.showsNewsLocked(st, w.known)
}

// showsNewsLocked reports whether st shows something that known lacks and that is none of this
// process's intents: another writer's change, so st is newer than known. A stale replica shows only
// older states, which hold nothing known lacks (except a fact this process removed, which is ours).
func (w *appWorker) showsNewsLocked(st, known *appState) bool {
	if known == nil {
		return false
	}
	for _, i := range intentsOf(known, st) {
		if !i.present {
			continue
		}
		if _, ours := w.expect[i.key()]; !ours {
			return true
		}
		if i.kind == intentScope && !w.seen[scopeFact(i.scope)] {
			return true // our scope, in a version nobody showed or sent us: changed by another writer
		}
	}
	return false
}

// sawLocked records the scope versions st shows. Caller holds w.mu.
func (w *appWorker) sawLocked(st *appState) {
	for _, s := range st.scopes {
		w.seen[scopeFact(s.PermissionScope)] = true
	}
}

// noteStale records a read that missed a confirmed write: replication lag at least since then.
func (w *appWorker) noteStale() {
	w.mu.Lock()
	last := w.lastWrite
	w.mu.Unlock()
	if !last.IsZero() {
		w.c.noteLag(w.c.now().Sub(last))
	}
}

// noteKnown records st, a read that confirmed this process's write, as the latest state seen.
func (w *appWorker) noteKnown(st *appState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sawLocked(st)
	w.known = st
}

// noteForeign records st as the latest state this process saw and whether another writer changed
// the application since the previous one.
func (w *appWorker) noteForeign(st *appState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.showsNewsLocked(st, w.known) {
		w.foreign = true
	}
	w.sawLocked(st)
	w.known = st
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

		start := c.now()
		f.w, f.st, f.err = c.lookup(ctx, ref)
		if f.err == nil {
			f.w.cacheRead(f.st, start) // the lookup is a read like any other: later readers share it
		}

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
