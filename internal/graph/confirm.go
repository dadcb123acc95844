package graph

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// confirm reads until Graph shows the intents of the batch, whatever else changed, and returns the
// last read. Callers the batch completes were answered at commit; those with a later step go on once
// it is confirmed, and a failure found for an answered caller is reported (report). The reads run on
// a context of their own, up to the latest deadline of the batch's callers.
//
// Each read is classified (core.Memory.Classify) and handled by the function of its outcome; absorbed are the
// queued operations that joined the pipeline (absorb) and still need a round.
func (w *appWorker) confirm(first *batch) (fresh *model.State, absorbed []*op) {
	defer w.endConfirm()
	cf := &confirmation{w: w, pending: []*batch{first}, sent: first.cur}
	cf.wrote(first)
	for {
		ctx, cancel := cf.context()
		st, err := w.get(ctx, callPolicy{what: "GET /applications/" + w.objectID + " (confirmation)"}, nil)
		w.c.stats.confirmReads.Add(1)
		if err == nil {
			switch cf.classify(st) {
			case core.Visible:
				cancel()
				cf.visible(st)
				return st, cf.absorbed
			case core.Overwritten:
				err = cf.overwritten(ctx, st)
			case core.Behind:
				err = cf.behind(ctx, st)
			}
		}
		if err != nil && ctx.Err() == nil {
			cf.fail(err) // past the callers' deadlines there is nobody to tell: Graph committed every PATCH
		}
		cancel()
		if err != nil {
			return nil, cf.absorbed
		}
	}
}

// confirmation is the state of one confirm: the batches in flight, oldest first.
type confirmation struct {
	w       *appWorker
	pending []*batch
	sent    *model.State // the state this process wrote last
	// misses counts the reads that came from a replica that is behind; reapplied the re-applications.
	misses, reapplied int
	absorbed          []*op
	lost              []model.Intent // the intents in flight the latest read lacks
}

// context returns the context of the next read: the values of the first caller, no cancellation
// (callers may have been answered), and the latest deadline of the batches' callers.
func (cf *confirmation) context() (context.Context, context.CancelFunc) {
	var ops []*op
	for _, b := range cf.pending {
		ops = append(ops, b.contributors...)
	}
	first := context.Background() // a batch of restored intents only: bounded below
	latest := cf.w.c.now().Add(cf.w.c.lag().SettleHorizon() + cf.w.c.requestBound())
	for i, o := range ops {
		if i == 0 {
			first = o.ctx
		}
		if d, ok := o.ctx.Deadline(); ok && (i == 0 || d.After(latest)) {
			latest = d
		}
	}
	return context.WithDeadline(context.WithoutCancel(first), latest)
}

// classify decides what st shows of the intents in flight (core.Memory.Classify); a change of
// another writer it finds marks the application as shared.
func (cf *confirmation) classify(st *model.State) core.Outcome {
	w := cf.w
	missingFor := w.c.now().Sub(oldestMissing(cf.pending, st))
	w.mu.Lock()
	defer w.mu.Unlock()
	o, lost, foreign := w.mem.Classify(pendingIntents(cf.pending), st, cf.sent, missingFor, w.c.lag().OverwriteAfter())
	if foreign {
		w.markForeignLocked()
	}
	cf.lost = lost
	return o
}

// visible ends the confirmation: one read that shows the intents proves Graph committed them.
func (cf *confirmation) visible(st *model.State) {
	cf.w.noteForeign(st) // another writer's change beside ours shows here first
	cf.w.cacheRead(st)
}

// overwritten applies the missing intents again on st, failing once that was done MaxReapply times.
func (cf *confirmation) overwritten(ctx context.Context, st *model.State) error {
	w := cf.w
	if !w.c.mayReapply(cf.reapplied) {
		return &OverwrittenError{ObjectID: w.objectID, Reapplied: cf.reapplied, Missing: describe(cf.lost)}
	}
	cf.reapplied++
	w.c.stats.reapplies.Add(1)
	w.c.logWarn(ctx, "another writer overwrote a change of this process; applying it again",
		map[string]any{"object_id": w.objectID, "missing": len(cf.lost), "attempt": cf.reapplied})
	next, fails := w.reapply(st, cf.lost)
	for k, e := range fails {
		cf.drop(k, e)
	}
	cols := model.ChangedCollections(st, next)
	if cols == 0 {
		return nil
	}
	resent, err := w.patch(ctx, next, cols, pendingIntents(cf.pending), st.ReadAt)
	if err != nil {
		return err
	}
	cf.sent = resent
	now := w.c.now()
	for _, b := range cf.pending {
		b.writtenAt = now // every intent in flight was sent again
	}
	w.noteWrite(now)
	return nil
}

// behind handles a read from a replica that has not caught up: it records the lag, answers the
// batches st already shows (oldest first: their callers need not wait for the newer ones), sends the
// operations queued meanwhile on top (absorb), and waits before the next read.
func (cf *confirmation) behind(ctx context.Context, st *model.State) error {
	w := cf.w
	cf.misses++
	w.c.noteLag(w.c.now().Sub(oldestMissing(cf.pending, st)))
	w.c.stats.addRetry(core.ReasonNotYetVisible)
	for len(cf.pending) > 1 && len(model.Missing(cf.pending[0].intents, st)) == 0 {
		cf.pending = cf.pending[1:]
	}
	wait := w.c.pollDelay(cf.misses)
	nb, taken := w.absorb(ctx, cf.sent, cf.pending, cf.pending[0].base.ReadAt)
	cf.absorbed = append(cf.absorbed, taken...)
	if nb != nil {
		cf.pending = append(cf.pending, nb)
		cf.sent = nb.cur
		cf.wrote(nb)
		wait = 0 // read at once: the new PATCH may well be visible with the old one
	}
	if !w.c.fitsDeadline(ctx, wait) {
		return fmt.Errorf("the change is not visible before the deadline (%d reads did not show it)", cf.misses)
	}
	return w.c.sleep(ctx, wait)
}

// wrote records when b was written.
func (cf *confirmation) wrote(b *batch) {
	b.writtenAt = cf.w.c.now()
	cf.w.noteWrite(b.writtenAt)
}

// drop ends the confirmation of one intent that can no longer be applied: the op that wanted it is
// told, this process forgets it, and the batches in flight stop waiting for it.
func (cf *confirmation) drop(key string, err error) {
	cf.w.drop(key)
	for _, b := range cf.pending {
		for _, o := range b.contributors {
			if o.keys[key] {
				cf.w.report(o, err)
			}
		}
	}
	supersede(cf.pending, nil, key)
}

// fail reports err to every caller of the batches in flight, and forgets their intents: this process
// no longer holds them as made (nothing restores them later).
func (cf *confirmation) fail(err error) {
	for _, b := range cf.pending {
		for _, i := range b.intents {
			cf.w.drop(i.Key())
		}
		for _, o := range b.contributors {
			cf.w.report(o, fmt.Errorf("the change was sent but could not be confirmed visible: %w", err))
		}
	}
}

// oldestMissing returns when the oldest batch in flight whose intents st does not all show was
// written (the newest write when st shows them all): how long our change has been missing.
func oldestMissing(pending []*batch, st *model.State) time.Time {
	for _, b := range pending {
		if len(model.Missing(b.intents, st)) > 0 {
			return b.writtenAt
		}
	}
	return pending[len(pending)-1].writtenAt
}

// absorb takes the operations queued while a batch is being confirmed, runs their steps on sent (the
// state this process has written) and sends them in one PATCH; the returned batch joins those in
// flight (nil when nothing was sent). taken are the operations it took; what they still need, the
// pipeline or a later round gives them. sent holds other writers' entries as of based: absorb takes
// nothing once core.Lag.MayBuildOnSent refuses it.
func (w *appWorker) absorb(ctx context.Context, sent *model.State, pending []*batch, based time.Time) (nb *batch, taken []*op) {
	if !w.c.lag().MayBuildOnSent(based, w.c.now()) {
		return nil, nil
	}
	w.mu.Lock()
	taken, w.queue = w.queue, nil
	w.mu.Unlock()
	live := dropCancelled(taken)
	if len(live) == 0 {
		return nil, taken
	}
	b := w.build(ctx, sent, live, false)
	// Ops this build would answer without a write (already done, or refused) are decided by the
	// next round on a read newer than they are, not on the state this process sent.
	b.settled = nil
	if b.cols == 0 {
		return nil, taken
	}
	if retry := w.write(ctx, b); retry {
		return nil, taken
	}
	w.commit(b)
	supersede(pending, b.intents)
	return b, taken
}

// supersede drops from the batches in flight the intents a newer batch replaced (a pre-authorization
// added and removed again while the first was being confirmed): Graph can no longer show the older
// ones, and the newer batch's confirmation covers the fact. extra are more keys to drop.
func supersede(pending []*batch, newer []model.Intent, extra ...string) {
	keys := make(map[string]bool, len(newer)+len(extra))
	for _, i := range newer {
		keys[i.Key()] = true
	}
	for _, k := range extra {
		keys[k] = true
	}
	for _, b := range pending {
		kept := b.intents[:0:0]
		for _, i := range b.intents {
			if !keys[i.Key()] {
				kept = append(kept, i)
			}
		}
		b.intents = kept
	}
}

// pendingIntents returns the intents of the batches in flight.
func pendingIntents(pending []*batch) []model.Intent {
	var out []model.Intent
	for _, b := range pending {
		out = append(out, b.intents...)
	}
	return out
}

// reapply builds, on st, the intents that st lacks: lost (this batch's) and every earlier confirmed
// intent of this process that st lacks too. An intent that cannot be applied any more is returned
// in failed.
func (w *appWorker) reapply(st *model.State, lost []model.Intent) (*model.State, map[string]error) {
	next := st.Clone()
	next.NewRound()
	failed := make(map[string]error)
	keys := make(map[string]bool, len(lost))
	for _, i := range lost {
		keys[i.Key()] = true
		if err := i.Apply(next); err != nil && !errors.Is(err, model.ErrDeferred) {
			failed[i.Key()] = fmt.Errorf("another writer changed the application so that %s cannot be applied again: %w", i, err)
		}
	}
	var others []model.Intent
	for _, i := range model.Missing(w.expected(), st) {
		if !keys[i.Key()] {
			others = append(others, i)
		}
	}
	w.restore(next, others)
	return next, failed
}

// restore applies to st the confirmed intents of this process that another writer overwrote: the one
// place a restore is built (a new round, a re-application during confirmation, a rebuilt resend). An
// intent that can no longer be applied (the scope a grant needs is gone) is forgotten and reported.
func (w *appWorker) restore(st *model.State, lost []model.Intent) {
	for _, i := range lost {
		if err := i.Apply(st); err != nil && !errors.Is(err, model.ErrDeferred) {
			w.dropUnrestorable(i, err)
		}
	}
}

func describe(intents []model.Intent) []string {
	out := make([]string, len(intents))
	for j, i := range intents {
		out[j] = i.String()
	}
	return out
}

// noteWrite records when this process last wrote the application.
func (w *appWorker) noteWrite(t time.Time) {
	w.mu.Lock()
	w.lastWrite = t
	w.mu.Unlock()
}
