package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// op is one queued mutation. step runs once per group-commit round on a private copy of the state
// read in that round; it must either change the state, report done, defer, or fail.
type op struct {
	ctx      context.Context
	name     string
	step     func(st *model.State) stepResult
	done     chan error
	finished bool // set by the worker goroutine only
	// keys are the keys of the intents the op's step changed in its latest round.
	keys map[string]bool
	// submitted is when the op was queued: a read started before it may serve it only within
	// WriteReuse, and never to answer it without a write (see round).
	submitted time.Time
	// rebuilds counts the rounds Graph rejected as built on a replica that was behind.
	rebuilds int
	// late is what the confirmation found wrong after the op was answered at commit, while its caller
	// still waits to settle; returned is set once the caller has returned (then it is a notice). Both
	// are guarded by the worker's mu.
	late     error
	returned bool
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
	// mem is what this process confirmed and saw of the application (core.Memory).
	mem *core.Memory
	// foreign is set once another writer's change was seen on the application.
	foreign bool
	// lastWrite is when this process last wrote the application.
	lastWrite time.Time
	// cached is the latest read of the application (started at cachedAt, when gen was cachedGen):
	// reads within ReadReuse with no write of this process since share it.
	cached    *model.State
	cachedAt  time.Time
	cachedGen uint64
	// written is set once this process has PATCHed the application: from then on a 404 is
	// replication lag, retried for core.NotFoundAfterWriteWindow.
	written bool
	// retrying is the latest failure of a call on the application that was going to be retried, at
	// retryingAt: a caller whose context ends while it waits reports it as the reason.
	retrying   error
	retryingAt time.Time
	// solo > 0 makes the next rounds apply one changing op each, to find which op of a rejected
	// batch Graph objects to.
	solo int
	// settled is the last write whose replication window has ended (settle.go); restores counts the
	// writes that restored changes another writer overwrote after they were confirmed.
	settled  time.Time
	restores int
	// arrived is signalled when an op is queued (the gather window waits on it).
	arrived chan struct{}
	// mustRead makes the next round read instead of building on an earlier read.
	mustRead bool
	// confirming is closed when the confirmation in progress ends (nil when none runs): callers are
	// answered at commit, and the process's last operation waits for it (settle.go).
	confirming chan struct{}
}

// workerFor returns the worker of the application with the object ID, creating it.
func (c *Client) workerFor(objectID string) *appWorker {
	key := strings.ToLower(objectID)
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.workers[key]
	if !ok {
		w = &appWorker{c: c, objectID: objectID, mem: core.NewMemory(),
			arrived: make(chan struct{}, 1)}
		c.workers[key] = w
	}
	return w
}

// submit queues o and starts the worker if it is idle. hint is a read made moments ago (by the
// lookup of the application) that the first round may use instead of a GET; it is discarded when
// it looks older than this process's confirmed writes.
func (w *appWorker) submit(o *op, hint *model.State) {
	w.mu.Lock()
	defer w.mu.Unlock()
	o.submitted = w.c.now()
	w.queue = append(w.queue, o)
	select {
	case w.arrived <- struct{}{}:
	default:
	}
	if !w.running {
		w.running = true
		go w.run(hint)
	}
}

// withdraw removes o from the queue; false when a round has taken it already.
func (w *appWorker) withdraw(o *op) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, q := range w.queue {
		if q == o {
			w.queue = append(w.queue[:i:i], w.queue[i+1:]...)
			return true
		}
	}
	return false
}

// run processes rounds until the queue is empty. Each round takes every queued op (group commit).
func (w *appWorker) run(hint *model.State) {
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
		var answered int
		active, reuse, answered = w.round(active, reuse)
		w.awaitSuccessors(answered)
	}
}

// awaitSuccessors waits, at most core.GatherWindow, until as many ops are queued as the last round
// answered: the resources Terraform starts in the freed slots then go in one round, not two.
func (w *appWorker) awaitSuccessors(answered int) {
	if answered <= 0 {
		return
	}
	timer := time.NewTimer(core.GatherWindow)
	defer timer.Stop()
	for {
		w.mu.Lock()
		queued := len(w.queue)
		w.mu.Unlock()
		if queued >= answered {
			return
		}
		select {
		case <-w.arrived:
		case <-timer.C:
			return
		}
	}
}

// mergedContext returns a context for a round serving several callers: it keeps the values of the
// first caller's context (loggers), has the latest deadline of them, and is cancelled once every
// caller's context is done.
func mergedContext(ctxs []context.Context) (context.Context, context.CancelFunc) {
	var latest time.Time
	allDeadlines := true
	for _, c := range ctxs {
		if d, ok := c.Deadline(); ok {
			if d.After(latest) {
				latest = d
			}
		} else {
			allDeadlines = false
		}
	}
	ctx, cancel := whileAnyLive(ctxs)
	if allDeadlines {
		var cancelDeadline context.CancelFunc
		ctx, cancelDeadline = context.WithDeadline(ctx, latest)
		prev := cancel
		cancel = func() { cancelDeadline(); prev() }
	}
	return ctx, cancel
}

// whileAnyLive returns a context with the values of the first of ctxs that is cancelled once every one
// of them is done, with no deadline of its own: a request sent for several callers ends only after the
// last caller stopped waiting, so that each caller sees its own context end first.
func whileAnyLive(ctxs []context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctxs[0]))
	var remaining atomic.Int64
	remaining.Store(int64(len(ctxs)))
	stops := make([]func() bool, 0, len(ctxs))
	for _, c := range ctxs {
		stops = append(stops, context.AfterFunc(c, func() {
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

// A round is one group commit: gather (one read no older than what this process confirmed), build
// (every op's step in arrival order, plus the restore of our overwritten intents), write (one PATCH),
// commit (answer the callers it completes) and confirm (confirm.go). It returns the ops that need
// another round, a fresh read the next round may use and how many ops it answered.
func (w *appWorker) round(active []*op, reuse *model.State) (next []*op, fresh *model.State, answered int) {
	live := dropCancelled(active)
	answered = len(active) - len(live)
	if len(live) == 0 {
		return nil, reuse, answered
	}
	ctxs := make([]context.Context, len(live))
	for i, o := range live {
		ctxs[i] = o.ctx
	}
	ctx, cancel := mergedContext(ctxs)
	defer cancel()
	ops := live
	defer func() {
		for _, o := range ops {
			if o.finished {
				answered++
			}
		}
	}()

	base, reused, err := w.gather(ctx, reuse)
	if err != nil {
		failAll(live, err)
		return nil, nil, answered
	}
	b := w.build(ctx, base, live, true)
	if reused && b.answersLate(base) {
		// An op would be answered without a write (already done, or refused) on a read older than
		// the op: another writer may have changed that since. Decide on a read of its own.
		w.c.stats.addRetry(core.ReasonVerifyOnFreshRead)
		if base, err = w.freshRead(ctx); err != nil {
			failAll(live, err)
			return nil, nil, answered
		}
		b = w.build(ctx, base, live, true)
	}
	for o, err := range b.failed {
		o.finish(err)
	}
	if b.cols == 0 {
		for _, o := range b.settled {
			o.finish(nil)
		}
		return unfinished(live), base, answered
	}
	if retry := w.write(ctx, b); retry {
		return unfinished(live), nil, answered
	}
	w.commit(b)
	fresh, absorbed := w.confirm(b)
	ops = append(live, absorbed...)
	return unfinished(ops), fresh, answered
}

// batch is what one round sends.
type batch struct {
	base *model.State // as read
	cur  *model.State // as written
	cols model.Collection
	// intents are the facts cur has that base lacks: the ops' changes and the restored intents.
	intents []model.Intent
	// contributors changed the application; settled are done without a change of their own;
	// failed are refused by their step.
	contributors, settled []*op
	failed                map[*op]error
	doneAfterCommit       map[*op]bool
	// writtenAt is when the batch's PATCH (or the latest re-application of its intents) was sent.
	writtenAt time.Time
}

// answersLate reports whether the batch answers, without a write, an op submitted after base was read.
func (b *batch) answersLate(base *model.State) bool {
	late := func(o *op) bool { return core.AnswersLate(o.submitted, base.ReadAt) }
	return slices.ContainsFunc(b.settled, late) || slices.ContainsFunc(slices.Collect(maps.Keys(b.failed)), late)
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

// failAll fails every op with err.
func failAll(ops []*op, err error) {
	for _, o := range ops {
		o.finish(fmt.Errorf("%s: %w", o.name, err))
	}
}

// build runs the ops' steps on a copy of base. A new round (base was read, and every earlier write is
// confirmed) starts from base as stored: the marks of the previous round are cleared, and confirmed
// intents of this process that base does not show (another writer overwrote them) are applied first,
// so the PATCH restores them. A pipelined batch (base is the state this process has written while
// earlier batches are being confirmed) keeps the marks, so steps that need those confirmed defer.
func (w *appWorker) build(ctx context.Context, base *model.State, live []*op, newRound bool) *batch {
	b := &batch{base: base, doneAfterCommit: make(map[*op]bool), failed: make(map[*op]error)}
	cur := base.Clone()
	if newRound {
		cur.NewRound()
	}
	if lost := model.Missing(w.expected(), base); newRound && len(lost) > 0 {
		w.c.logWarn(ctx, "Microsoft Graph no longer shows changes this process confirmed (another writer "+
			"overwrote them); applying them again", map[string]any{"object_id": w.objectID, "changes": len(lost)})
		w.c.stats.reapplies.Add(1)
		w.restore(cur, lost)
	}
	for _, o := range live {
		if w.solo > 0 && len(b.contributors) > 0 {
			continue // isolating a rejected batch: one changing op per round
		}
		next := cur.Clone()
		r := o.step(next)
		switch {
		case r.err != nil:
			b.failed[o] = r.err
		case r.deferred:
		case model.ChangedCollections(cur, next) == 0:
			if r.done {
				b.settled = append(b.settled, o)
			} else {
				b.failed[o] = fmt.Errorf("%s: internal error: a step neither changed the application nor finished", o.name)
			}
		default:
			o.keys = make(map[string]bool)
			for _, i := range model.IntentsOf(cur, next) {
				o.keys[i.Key()] = true
			}
			cur = next
			b.contributors = append(b.contributors, o)
			b.doneAfterCommit[o] = r.done
		}
	}
	b.cur = cur
	b.cols = model.ChangedCollections(base, cur)
	b.intents = model.IntentsOf(base, cur)
	return b
}

// write sends the batch. retry is true when the ops must go to another round (Graph rejected a
// batch of several changes: the next rounds apply them one at a time to find the culprit); ops
// that cannot succeed are answered.
func (w *appWorker) write(ctx context.Context, b *batch) (retry bool) {
	w.c.stats.batches.Add(1)
	w.c.stats.mutations.Add(int64(len(b.contributors)))
	sent, err := w.patch(ctx, b.cur, b.cols, b.intents, b.base.ReadAt)
	if err == nil {
		b.cur = sent
	}
	if w.solo > 0 {
		w.solo--
	}
	if err == nil {
		return false
	}
	if failureOf(err).BuiltOnOldState() && w.rebuild(b) {
		w.c.logWarn(ctx, "Microsoft Graph refused a change built on a replica that was behind; reading again and rebuilding it",
			map[string]any{"object_id": w.objectID, "ops": len(b.contributors)})
		return true
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

// rebuild marks the batch's ops for another round on a new read; false when one was rebuilt
// core.MaxRebuilds times already.
func (w *appWorker) rebuild(b *batch) bool {
	if len(b.contributors) == 0 {
		return false // a batch of restored intents only: nothing bounds its rebuilds
	}
	for _, o := range b.contributors {
		if o.rebuilds >= core.MaxRebuilds {
			return false
		}
	}
	for _, o := range b.contributors {
		o.rebuilds++
	}
	w.mu.Lock()
	w.mustRead = true
	w.mu.Unlock()
	return true
}

// commit records the intents of b, whose PATCH Graph answered with success (so it committed them),
// and answers the callers b completes (DESIGN.md, v3 rule 5); those with a later step wait for the
// confirmation.
func (w *appWorker) commit(b *batch) {
	w.remember(b.intents)
	w.mu.Lock()
	if w.confirming == nil {
		w.confirming = make(chan struct{})
	}
	w.mu.Unlock()
	for _, o := range b.contributors {
		if b.doneAfterCommit[o] {
			o.finish(nil)
		}
	}
	for _, o := range b.settled {
		o.finish(nil)
	}
}

// report fails o with err. When o was answered at commit, its caller gets err if it still waits to
// settle (lateError); once it has returned (Graph committed the change and Terraform records it as
// made) the user is told in a notice, and the next plan shows what differs.
func (w *appWorker) report(o *op, err error) {
	if !o.finished {
		o.finish(fmt.Errorf("%s: %w", o.name, err))
		return
	}
	w.mu.Lock()
	returned := o.returned
	if !returned {
		o.late = err
	}
	w.mu.Unlock()
	if returned {
		w.notConfirmed(o.name, err)
	}
}

// lateError marks o's caller as returned and returns what the confirmation found wrong meanwhile.
func (w *appWorker) lateError(o *op) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	o.returned = true
	return o.late
}

// endConfirm marks the confirmation in progress as ended.
func (w *appWorker) endConfirm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.confirming != nil {
		close(w.confirming)
		w.confirming = nil
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

// patch sends the changed collections of after, built on a read started at based, under the retry
// policy, and returns the state it sent; a resend on a base older than WriteReuse is rebuilt on a
// fresh read (DESIGN.md, v3 rule 3).
func (w *appWorker) patch(ctx context.Context, after *model.State, cols model.Collection, intents []model.Intent, based time.Time) (*model.State, error) {
	body, err := model.PatchBody(after, cols)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.written = true
	w.mu.Unlock()
	p := w.notFoundPolicy(callPolicy{
		what: fmt.Sprintf("PATCH /applications/%s (%s)", w.objectID, cols),
		// A replica behind a scope's disable (ours or another writer's) refuses any change of the
		// application, not only of its scopes.
		Policy: core.Policy{ScopeStillEnabled: true,
			UnknownPermissionIsLag: cols&model.ColPreAuth != 0 && model.ReferencesResolve(after),
			// Past the replication lag, the refusal means the change was built on a replica that
			// was behind: write rebuilds it on a new read.
			StaleWindow: w.c.lag().OverwriteAfter()},
	})
	sent := after
	err = w.c.retry(ctx, p, func(actx context.Context) error {
		if attemptFrom(actx) > 1 && !w.c.lag().MayBuildOnSent(based, w.c.now()) {
			w.c.stats.addRetry(core.ReasonRebuiltResend)
			st, err := w.read(ctx)
			if err != nil {
				return err
			}
			next, failed := w.reapply(st, model.Missing(intents, st))
			if len(failed) > 0 {
				errs := make([]error, 0, len(failed))
				for _, e := range failed {
					errs = append(errs, e)
				}
				return errors.Join(errs...)
			}
			based, sent = st.ReadAt, next
			c := model.ChangedCollections(st, next)
			if c == 0 {
				return nil // the read shows every intent: an earlier attempt was committed
			}
			if body, err = model.PatchBody(next, c); err != nil {
				return err
			}
		}
		// A PATCH once sent is not abandoned when its callers give up (Ctrl-C, a resource timeout):
		// Graph may commit it anyway, and only its answer says whether it did. Its own timeout still
		// bounds it.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(actx), w.c.requestBound())
		defer cancel()
		return w.c.patchByObjectID(pctx, w.objectID, body)
	})
	if err != nil {
		return nil, err
	}
	return sent, nil
}
