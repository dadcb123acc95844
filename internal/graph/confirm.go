package graph

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// confirm reads until Graph shows the intents of the batch, whatever else changed, answering the
// callers of each batch as soon as a read shows its intents, and returns the last read.
//
// It is also where the group commit is pipelined: while a read has not shown the batch yet (a
// replica that is behind), operations queued meanwhile are not held: their steps run on the state
// this process has written (sent, read-your-writes), one PATCH sends them, and the next reads confirm
// every batch in flight together. Steps that need a change of this round confirmed first (a scope
// disabled in it, a scope created in it) defer as in a round, so "disable before change or removal"
// and "create before pre-authorize" stay exactly as safe.
//
// A read that lacks one of our intents comes from a replica that is behind, or shows that another
// writer overwrote it (Graph has no conditional PATCH, and a sent collection replaces the whole
// collection). It is taken as overwritten when the read shows another writer's change, or when our
// intent stays missing for longer than replication explains; the missing intents are then applied
// again on that read, at most MaxReapply times, and the operations fail saying so past that.
//
// absorbed are the queued operations that joined the pipeline and still need a round (a later step,
// or a deferred one). On error every unanswered caller is answered with it.
func (w *appWorker) confirm(first *batch) (fresh *appState, absorbed []*op) {
	pending := []*batch{first}
	sent := first.cur
	failed := make(map[string]error)
	first.writtenAt = w.c.now()
	w.noteWrite(first.writtenAt)
	p := callPolicy{what: "GET /applications/" + w.objectID + " (confirmation)"}
	misses, reapplied := 0, 0
	// committed answers the callers when every one of them gave up (Ctrl-C, a resource timeout) while
	// their change was being confirmed: Graph answered each batch's PATCH with success, so the change
	// is made, and the callers report it as made (Terraform records it in its state) instead of an
	// error that would leave Graph holding what Terraform does not know.
	committed := func() {
		for _, b := range pending {
			w.answer(b, failed)
		}
	}
	fail := func(err error) {
		for _, b := range pending {
			for _, o := range b.contributors {
				o.finish(fmt.Errorf("%s: the change was sent but could not be confirmed visible: %w", o.name, err))
			}
			for _, o := range b.settled {
				o.finish(fmt.Errorf("%s: %w", o.name, err))
			}
		}
	}
	for {
		// The reads serve the callers still waiting, whether they came with the round or joined the
		// pipeline: the context ends when all of them gave up, at the latest of their deadlines.
		waiting := waitingOps(pending)
		if len(waiting) == 0 {
			return nil, absorbed
		}
		ctx, cancel := mergedContext(opContexts(waiting))
		st, err := w.get(ctx, p, nil)
		w.c.stats.confirmReads.Add(1)
		if err != nil {
			cancel()
			if ctx.Err() != nil {
				committed()
				return nil, absorbed
			}
			fail(err)
			return nil, absorbed
		}
		ours := pendingIntents(pending, failed)
		lost := missing(ours, st)
		elapsed := w.c.now().Sub(oldestMissing(pending, failed, st))
		var wait time.Duration
		switch {
		case len(lost) == 0:
			// One read that shows the intents proves Graph committed them.
			cancel()
			for _, b := range pending {
				w.answer(b, failed)
			}
			w.noteForeign(st) // another writer's change beside ours shows here first
			w.cacheRead(st)
			return st, absorbed
		case w.overwritten(st, sent, ours, elapsed):
			if reapplied >= w.c.cfg.MaxReapply {
				cancel()
				fail(&OverwrittenError{ObjectID: w.objectID, Reapplied: reapplied, Missing: describe(lost)})
				return nil, absorbed
			}
			reapplied++
			w.c.stats.reapplies.Add(1)
			w.c.logWarn(ctx, "another writer overwrote a change of this process; applying it again",
				map[string]any{"object_id": w.objectID, "missing": len(lost), "attempt": reapplied})
			next, fails := w.reapply(st, lost)
			for k, e := range fails {
				failed[k] = e
			}
			if cols := changedCollections(st, next); cols != 0 {
				resent, err := w.patch(ctx, next, cols, ours, st.readAt)
				if err != nil {
					cancel()
					fail(err)
					return nil, absorbed
				}
				sent = resent
				now := w.c.now()
				for _, b := range pending {
					b.writtenAt = now // every intent in flight was sent again
				}
				w.noteWrite(now)
			}
			cancel()
			continue
		default:
			misses++
			w.c.noteLag(elapsed)
			w.c.stats.addRetry(ReasonNotYetVisible)
			// Answer the batches this read already shows, oldest first: their callers need not wait
			// for the newer ones.
			for len(pending) > 1 && len(missing(liveIntents(pending[0], failed), st)) == 0 {
				w.answer(pending[0], failed)
				pending = pending[1:]
			}
			// Replicas catch up within seconds; polling at most every maxConfirmWait keeps the
			// wait close to the actual lag without hammering Graph.
			wait = min(w.c.cfg.Backoff.delay(misses, w.c.random()), maxConfirmWait)
			nb, taken := w.absorb(ctx, sent, pending, first.base.readAt)
			absorbed = append(absorbed, taken...)
			if nb != nil {
				pending = append(pending, nb)
				sent = nb.cur
				nb.writtenAt = w.c.now()
				w.noteWrite(nb.writtenAt)
				wait = 0 // read at once: the new PATCH may well be visible with the old one
			}
		}
		if deadline, ok := ctx.Deadline(); ok && w.c.now().Add(wait).After(deadline) {
			cancel()
			fail(fmt.Errorf("the change is not visible before the deadline (%d reads did not show it)", misses))
			return nil, absorbed
		}
		err = w.c.sleep(ctx, wait)
		cancel()
		if err != nil {
			committed()
			return nil, absorbed
		}
	}
}

// waitingOps returns the callers of the batches in flight that are still waiting for an answer.
func waitingOps(pending []*batch) []*op {
	var out []*op
	for _, b := range pending {
		for _, list := range [][]*op{b.contributors, b.settled} {
			for _, o := range list {
				if !o.finished {
					out = append(out, o)
				}
			}
		}
	}
	return out
}

// oldestMissing returns when the oldest batch in flight whose intents st does not all show was
// written (the newest write when st shows them all): how long our change has been missing.
func oldestMissing(pending []*batch, failed map[string]error, st *appState) time.Time {
	for _, b := range pending {
		if len(missing(liveIntents(b, failed), st)) > 0 {
			return b.writtenAt
		}
	}
	return pending[len(pending)-1].writtenAt
}

// absorb takes the operations queued while a batch is being confirmed and runs their steps on sent,
// the state this process has written; when they change it, one PATCH sends them and the returned
// batch joins the batches in flight (nil when nothing was sent). taken are the operations it took:
// whatever they still need (an answer, a later step, a deferred step, a decision on a newer read)
// the pipeline or a later round gives them.
//
// sent holds other writers' entries as of based, the read the pipeline started from: a PATCH built on
// it drops what they committed since. So absorb takes nothing once that read is older than
// WriteReuse, the age of a read any round may build on: the operations wait for the next round and
// its newer read, and the settle window (settleEnd) stays long enough to see such an overwrite.
func (w *appWorker) absorb(ctx context.Context, sent *appState, pending []*batch, based time.Time) (nb *batch, taken []*op) {
	if based.IsZero() || w.c.now().Sub(based) > max(w.c.cfg.WriteReuse, 0) {
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
	supersede(pending, b.intents)
	return b, taken
}

// supersede drops from the batches in flight the intents a newer batch replaced (a pre-authorization
// added and removed again while the first was being confirmed): Graph can no longer show the older
// ones, and the newer batch's confirmation covers the fact.
func supersede(pending []*batch, newer []intent) {
	keys := make(map[string]bool, len(newer))
	for _, i := range newer {
		keys[i.key()] = true
	}
	for _, b := range pending {
		kept := b.intents[:0:0]
		for _, i := range b.intents {
			if !keys[i.key()] {
				kept = append(kept, i)
			}
		}
		b.intents = kept
	}
}

// pendingIntents returns the intents of the batches in flight, without those that failed.
func pendingIntents(pending []*batch, failed map[string]error) []intent {
	var out []intent
	for _, b := range pending {
		out = append(out, liveIntents(b, failed)...)
	}
	return out
}

// liveIntents returns the batch's intents without those that failed.
func liveIntents(b *batch, failed map[string]error) []intent {
	return withoutKeys(b.intents, failed)
}

// overwritten reports whether a read that lacks some of our intents shows that another writer
// overwrote them: it holds a change that is neither in what we sent nor ours, or our intents have
// been missing for longer than the replication lag can explain.
func (w *appWorker) overwritten(st, sent *appState, ours []intent, elapsed time.Duration) bool {
	if elapsed >= w.c.overwriteAfter() {
		return true
	}
	mine := make(map[string]bool, len(ours))
	for _, i := range ours {
		mine[i.key()] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, i := range intentsOf(sent, st) {
		if _, confirmed := w.expect[i.key()]; i.present && !confirmed && !mine[i.key()] {
			w.markForeignLocked()
			return true
		}
	}
	return false
}

// reapply builds, on st, the intents that st lacks: lost (this batch's) and every earlier confirmed
// intent of this process that st lacks too. An intent that cannot be applied any more is returned
// in failed.
func (w *appWorker) reapply(st *appState, lost []intent) (*appState, map[string]error) {
	next := st.clone()
	next.newRound()
	failed := make(map[string]error)
	keys := make(map[string]bool, len(lost))
	for _, i := range lost {
		keys[i.key()] = true
		if err := i.apply(next); err != nil && !errors.Is(err, errIntentDeferred) {
			failed[i.key()] = fmt.Errorf("another writer changed the application so that %s cannot be applied again: %w", i, err)
		}
	}
	var others []intent
	for _, i := range missing(w.expected(), st) {
		if !keys[i.key()] {
			others = append(others, i)
		}
	}
	w.restore(next, others)
	return next, failed
}

// restore applies to st the confirmed intents of this process that another writer overwrote: the one
// place a restore is built (a new round, a re-application during confirmation, a rebuilt resend). An
// intent that can no longer be applied (the scope a grant needs is gone) is forgotten and reported.
func (w *appWorker) restore(st *appState, lost []intent) {
	for _, i := range lost {
		if err := i.apply(st); err != nil && !errors.Is(err, errIntentDeferred) {
			w.dropUnrestorable(i, err)
		}
	}
}

func withoutKeys(intents []intent, keys map[string]error) []intent {
	if len(keys) == 0 {
		return intents
	}
	var out []intent
	for _, i := range intents {
		if keys[i.key()] == nil {
			out = append(out, i)
		}
	}
	return out
}

func describe(intents []intent) []string {
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
