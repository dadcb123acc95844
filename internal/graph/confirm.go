package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// confirm reads until Graph shows the batch's intents, handling each read by its outcome
// (core.Confirmation.Classify). It returns the queued ops absorbed meanwhile.
func (w *appWorker) confirm(first *core.Batch[*op]) (absorbed []*op) {
	defer w.with(func(*core.App) { // the confirmation in progress ends
		close(w.confirming)
		w.confirming = nil
	})
	cf := core.NewConfirmation(first)
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
	cols := model.ChangedCollections(st, next)
	if cols == 0 {
		return nil
	}
	resent, err := w.patch(ctx, next, cols, cf.Intents(), st.ReadAt)
	if err == nil {
		now := w.c.now()
		cf.Resent(resent, now)
		w.with(func(a *core.App) { a.LastWrite = now })
	}
	return err
}

// behind handles a read from a replica that has not caught up: it records the lag and waits. While
// core.MayBuildOnSent allows, it takes the ops queued meanwhile and sends them in one PATCH built
// on what was sent, which joins the batches in flight; a later round finishes the rest.
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
