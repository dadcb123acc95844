package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// op is one queued mutation (model.Op).
type op struct {
	model.Op
	ctx       context.Context
	done      chan error
	finished  bool // set by the worker goroutine only
	submitted time.Time
	rebuilds  int   // core.Refused
	late      error // under the worker's mu: what the confirmation found wrong after the op was answered at commit
	returned  bool  // under the worker's mu: its caller returned, a late failure is a notice
}

// finish answers o's caller, once.
func (o *op) finish(err error) {
	if !o.finished {
		o.finished = true
		o.done <- err
	}
}

// appWorker serializes and groups the mutations of one application.
type appWorker struct {
	c        *Client
	objectID string

	mu         sync.Mutex
	queue      []*op
	running    bool
	flight     *readFlight
	app        *core.App
	foreign    bool
	arrived    chan struct{} // signalled when an op is queued
	confirming chan struct{} // closed when the confirmation in progress ends; nil when none runs
}

// with runs f under the worker's lock, on the application's core state.
func (w *appWorker) with(f func(a *core.App)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f(w.app)
}

// locked returns what f returns, run under the worker's lock.
func locked[T any](w *appWorker, f func(a *core.App) T) (v T) {
	w.with(func(a *core.App) { v = f(a) })
	return v
}

// submit queues mo for a caller with ctx and starts the worker if it is idle.
func (w *appWorker) submit(ctx context.Context, mo model.Op) *op {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := &op{Op: mo, ctx: ctx, done: make(chan error, 1), submitted: w.c.now()}
	w.queue = append(w.queue, o)
	select {
	case w.arrived <- struct{}{}:
	default:
	}
	if !w.running {
		w.running = true
		go w.run()
	}
	return o
}

// withdraw removes o from the queue; false when a round has taken it already.
func (w *appWorker) withdraw(o *op) bool {
	return locked(w, func(*core.App) bool {
		n := len(w.queue)
		w.queue = slices.DeleteFunc(w.queue, func(q *op) bool { return q == o })
		return len(w.queue) < n
	})
}

// run processes rounds until the queue is empty. Each round takes every queued op (group commit).
func (w *appWorker) run() {
	var active []*op
	for answered := 1; ; { // first, the op that started the worker: those Terraform sent with it join
		// Wait, at most core.GatherWindow, until as many ops are queued as the round answered, then
		// while more keep arriving within core.GatherGap of each other.
		for end := time.Now().Add(core.GatherWindow); answered > 0; {
			wait := time.Until(end)
			if locked(w, func(*core.App) bool { return len(w.queue) >= answered }) {
				wait = min(wait, core.GatherGap)
			}
			select {
			case <-w.arrived:
			case <-time.After(wait):
				answered = 0
			}
		}
		if !locked(w, func(*core.App) bool {
			active, w.queue = append(active, w.queue...), nil
			w.running = len(active) > 0
			return w.running
		}) {
			return
		}
		handled := w.round(active)
		active = slices.DeleteFunc(handled, func(o *op) bool { return o.finished })
		answered = len(handled) - len(active)
	}
}

// opsContext returns the context of a request sent for ops: the values of the first op's, and the
// latest of their deadlines (every op has one: mutate's withTimeout; latest without ops). When live it
// ends once every op's context is done (whileAnyLive), else never before the deadline.
func opsContext(ops []*op, latest time.Time, live bool) (context.Context, context.CancelFunc) {
	for i, o := range ops {
		if d, ok := o.ctx.Deadline(); ok && (i == 0 || d.After(latest)) {
			latest = d
		}
	}
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if live {
		ctx, cancel = whileAnyLive(ops, func(o *op) context.Context { return o.ctx })
	} else if len(ops) > 0 {
		ctx = context.WithoutCancel(ops[0].ctx)
	}
	ctx, dcancel := context.WithDeadline(ctx, latest)
	return ctx, func() { dcancel(); cancel() }
}

// whileAnyLive returns a context with the values of xs[0]'s, cancelled once the context of every one
// of xs is done: a request sent for several callers ends only after the last caller stopped waiting.
func whileAnyLive[T any](xs []T, ctxOf func(T) context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctxOf(xs[0])))
	go func() {
		for _, x := range xs {
			select {
			case <-ctxOf(x).Done():
			case <-ctx.Done():
				return
			}
		}
		cancel()
	}()
	return ctx, cancel
}

// round is one group commit: base, build, write, commit, confirm. It returns every op it handled,
// with those the confirmation absorbed.
func (w *appWorker) round(active []*op) []*op {
	live := dropCancelled(active)
	if len(live) == 0 {
		return active
	}
	ctx, cancel := opsContext(live, time.Time{}, true)
	defer cancel()
	base := locked(w, func(a *core.App) *model.State { return a.Base(w.foreign, w.c.lag(), w.c.started, w.c.now()) })
	var b *core.Batch[*op]
	if base != nil {
		if b = w.build(ctx, base, live, true); b.AnswersLate(func(o *op) time.Time { return o.submitted }) {
			w.c.addRetry(core.ReasonVerifyOnFreshRead)
			base = nil
		}
	}
	if base == nil { // a read started at or after FreshFrom
		err := w.c.sleepUntil(ctx, w.c.lag().FreshFrom(w.c.started), core.ReasonFreshBase)
		if err == nil {
			base, err = w.read(ctx, false)
		}
		if err != nil {
			for _, o := range live {
				o.finish(fmt.Errorf("%s: %w", o.Name, err))
			}
			return active
		}
		w.seen(base)
		b = w.build(ctx, base, live, true)
	}
	for o, err := range b.Failed {
		o.finish(err)
	}
	if b.Cols == 0 {
		for _, o := range b.Settled {
			o.finish(nil)
		}
		return active
	}
	if retry := w.write(ctx, b); retry {
		return active
	}
	w.commit(b)
	return append(active, w.confirm(b)...)
}

// dropCancelled answers the ops whose caller gave up and returns the others.
func dropCancelled(active []*op) []*op {
	return slices.DeleteFunc(slices.Clone(active), func(o *op) bool {
		if err := o.ctx.Err(); err != nil {
			o.finish(fmt.Errorf("%s: %w", o.Name, err))
		}
		return o.finished
	})
}

// build is core.Build on the worker's memory; it logs what it restored and forgets what it cannot.
func (w *appWorker) build(ctx context.Context, base *model.State, live []*op, newRound bool) *core.Batch[*op] {
	w.mu.Lock()
	solo, expected := w.app.Solo > 0, w.app.Expected()
	w.mu.Unlock()
	b := core.Build(base, live, func(o *op, st *model.State) (bool, error) { return o.Step(st) }, expected, newRound, solo)
	if len(b.Restored) > 0 {
		w.c.logWarn(ctx, "Microsoft Graph no longer shows changes this process confirmed (another writer "+
			"overwrote them); applying them again", map[string]any{"object_id": w.objectID, "changes": len(b.Restored)})
		w.c.tally(func() { w.c.stats.Reapplies++ })
	}
	w.unrestorable(b.Unrestorable)
	return b
}

// unrestorable forgets the confirmed intents that can no longer be applied, and tells the user.
func (w *appWorker) unrestorable(u []core.Unapplied) {
	for _, i := range u {
		w.with(func(a *core.App) { a.Drop(i.Intent.Key()) })
		w.c.notify(core.Notice{Kind: core.NoticeRestoreImpossible, ObjectID: w.objectID, Detail: fmt.Sprintf("%s: %v", i.Intent, i.Err)})
	}
}

// write sends the batch; retry says its ops go to another round (core.Refused), else failed ops are answered.
func (w *appWorker) write(ctx context.Context, b *core.Batch[*op]) (retry bool) {
	w.c.tally(func() {
		w.c.stats.Batches++
		w.c.stats.Mutations += int64(len(b.Contributors))
	})
	sent, err := w.patch(ctx, b.Base, b.Cur, b.Intents)
	w.with(func(a *core.App) { a.Solo = max(a.Solo-1, 0) })
	if err == nil {
		b.Cur = sent
		return false
	}
	rebuilds := make([]int, len(b.Contributors))
	for i, o := range b.Contributors {
		rebuilds[i] = o.rebuilds
	}
	var invalid *model.ValidationError
	switch core.Refused(err, errors.As(err, &invalid), rebuilds) {
	case core.Rebuild:
		for _, o := range b.Contributors {
			o.rebuilds++
		}
		w.with(func(a *core.App) { a.MustRead = true })
		w.c.logWarn(ctx, "Microsoft Graph refused a change built on a replica that was behind; reading again and rebuilding it",
			map[string]any{"object_id": w.objectID, "ops": len(b.Contributors)})
	case core.Isolate:
		w.with(func(a *core.App) { a.Solo = len(b.Contributors) })
		w.c.logWarn(ctx, "Microsoft Graph rejected a batched change; applying the changes one at a time",
			map[string]any{"object_id": w.objectID, "ops": len(b.Contributors), "code": invalid.Code})
	default:
		for _, o := range b.Contributors {
			o.finish(fmt.Errorf("%s: %w", o.Name, err))
		}
	}
	return true
}

// commit records the intents Graph committed, and when, and answers the callers b completes (v3 rule 5).
func (w *appWorker) commit(b *core.Batch[*op]) {
	w.mu.Lock()
	b.WrittenAt = w.c.now()
	w.app.Commit(b.Intents, b.WrittenAt)
	if w.confirming == nil {
		w.confirming = make(chan struct{})
	}
	w.mu.Unlock()
	for _, o := range b.Contributors {
		if b.DoneAfterCommit[o] {
			o.finish(nil)
		}
	}
	for _, o := range b.Settled {
		o.finish(nil)
	}
}

// report fails o with err; once o was answered at commit, its caller gets err while it settles, or a
// notice once it returned.
func (w *appWorker) report(o *op, err error) {
	if !o.finished {
		o.finish(fmt.Errorf("%s: %w", o.Name, err))
	} else if locked(w, func(*core.App) bool {
		o.late = err
		return o.returned
	}) {
		w.notConfirmed(o.Name, err)
	}
}

// patch sends what after changed of base, and returns what it sent; a resend whose base is too old is
// rebuilt on a fresh read (v3 rule 3).
func (w *appWorker) patch(ctx context.Context, base, after *model.State, intents []model.Intent) (*model.State, error) {
	cols, based := model.ChangedCollections(base, after), base.ReadAt
	body, err := model.PatchBody(after, cols)
	if err != nil {
		return nil, err
	}
	w.with(func(a *core.App) { a.Written = true })
	p := w.notFoundPolicy(callPolicy{what: fmt.Sprintf("PATCH /applications/%s (%s)", w.objectID, cols),
		Policy: w.c.lag().WritePolicy(cols&model.ColPreAuth != 0 && model.ReferencesResolve(after))})
	sent := after
	err = w.c.retry(ctx, p, func(actx context.Context) error {
		if attemptFrom(actx) > 1 && !core.MayBuildOnSent(based, w.c.now()) {
			w.c.addRetry(core.ReasonRebuiltResend)
			st, err := w.read(ctx, false)
			if err != nil {
				return err
			}
			next, failed, unrestorable := core.Reapply(st, model.Missing(intents, st), locked(w, (*core.App).Expected))
			w.unrestorable(unrestorable)
			if len(failed) > 0 {
				return errors.Join(slices.Collect(maps.Values(failed))...)
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
		// Not abandoned when its callers give up (only its answer says whether Graph committed it).
		pctx, cancel := context.WithTimeout(context.WithoutCancel(actx), core.RequestTimeout)
		defer cancel()
		return w.c.do(pctx, http.MethodPatch, "/applications/"+url.PathEscape(w.objectID), body, nil)
	})
	return sent, err
}

// confirm reads until Graph shows the batch's intents, handling each read by its outcome
// (core.Confirmation.Classify). It returns the queued ops absorbed meanwhile.
func (w *appWorker) confirm(first *core.Batch[*op]) (absorbed []*op) {
	defer w.with(func(*core.App) { // the confirmation in progress ends
		close(w.confirming)
		w.confirming = nil
	})
	cf := &core.Confirmation[*op]{Pending: []*core.Batch[*op]{first}, Sent: first.Cur}
	for {
		// No cancellation (callers may have been answered); a batch of restored intents only is bounded below.
		ctx, cancel := opsContext(cf.Ops(), w.c.now().Add(w.c.lag().SettleHorizon()+core.RequestTimeout), false)
		st, err := w.read(ctx, true)
		if err == nil {
			w.mu.Lock()
			outcome, foreign, missingFor := cf.Classify(w.app, st, w.c.now(), w.c.lag())
			if foreign {
				w.markForeignLocked()
			}
			w.mu.Unlock()
			switch outcome {
			case core.Visible: // one read that shows the intents proves Graph committed them
				cancel()
				w.seen(st) // the next round's base (core.App.Base)
				return absorbed
			case core.Overwritten:
				err = w.overwritten(ctx, cf, st)
			case core.Behind:
				var taken []*op
				taken, err = w.behind(ctx, cf, missingFor)
				absorbed = append(absorbed, taken...)
			}
		}
		if err != nil && ctx.Err() == nil { // past the callers' deadlines nobody is told: Graph committed every PATCH
			w.with(func(a *core.App) { // no longer held as made: nothing restores them later
				for _, i := range cf.Intents() {
					a.Drop(i.Key())
				}
			})
			for _, o := range cf.Ops() {
				w.report(o, fmt.Errorf("the change was sent but could not be confirmed visible: %w", err))
			}
		}
		cancel()
		if err != nil {
			return absorbed
		}
	}
}

// overwritten applies the missing intents again on st (core.Confirmation.Reapply) and sends them.
func (w *appWorker) overwritten(ctx context.Context, cf *core.Confirmation[*op], st *model.State) error {
	w.mu.Lock()
	next, failed, unrestorable, ok := cf.Reapply(w.app, st)
	w.mu.Unlock()
	if !ok {
		return &model.OverwrittenError{ObjectID: w.objectID, Reapplied: cf.Reapplied, Missing: cf.Lost}
	}
	w.c.tally(func() { w.c.stats.Reapplies++ })
	w.c.logWarn(ctx, "another writer overwrote a change of this process; applying it again",
		map[string]any{"object_id": w.objectID, "missing": len(cf.Lost), "attempt": cf.Reapplied})
	w.unrestorable(unrestorable)
	for o, err := range failed {
		w.report(o, err)
	}
	if model.ChangedCollections(st, next) == 0 {
		return nil
	}
	resent, err := w.patch(ctx, st, next, cf.Intents())
	if err == nil {
		now := w.c.now()
		cf.Resent(resent, now)
		w.with(func(a *core.App) { a.LastWrite = now })
	}
	return err
}

// behind records the lag of a replica that has not caught up, and waits; while core.MayBuildOnSent
// allows, the ops queued meanwhile go in one PATCH on what was sent (DESIGN.md, pipelined group commit).
func (w *appWorker) behind(ctx context.Context, cf *core.Confirmation[*op], lag time.Duration) (taken []*op, err error) {
	w.c.noteLag(lag)
	w.c.addRetry(core.ReasonNotYetVisible)
	wait := core.PollDelay(cf.Misses, w.c.jitter())
	if core.MayBuildOnSent(cf.Pending[0].Base.ReadAt, w.c.now()) {
		w.with(func(*core.App) { taken, w.queue = w.queue, nil })
		if live := dropCancelled(taken); len(live) > 0 {
			if b := w.build(ctx, cf.Sent, live, false); b.Cols > 0 && !w.write(ctx, b) {
				w.commit(b)
				cf.Absorb(b)
				wait = 0 // read at once: the new PATCH may well be visible with the old one
			}
		}
	}
	if deadline, ok := ctx.Deadline(); ok && w.c.now().Add(wait).After(deadline) {
		return taken, fmt.Errorf("the change is not visible before the deadline (%d reads did not show it)", cf.Misses)
	}
	return taken, w.c.sleep(ctx, wait)
}
