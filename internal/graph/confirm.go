package graph

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// confirmOwn reads until ConfirmReads consecutive reads show the batch's intents, whatever else
// changed, and returns the last read. A read that lacks one of our intents comes from a replica
// that is behind, or shows that another writer overwrote it (Graph has no conditional PATCH, and a
// sent collection replaces the whole collection). It is taken as overwritten when the read shows
// another writer's change, or when our intent stays missing for longer than replication explains;
// the missing intents are then applied again on that read, at most MaxReapply times. failed maps
// the key of an intent that can no longer be applied (its scope was deleted elsewhere) to why.
//
// Once replication lag or another writer has been seen, the reads also span the replication lag
// (overwriteHorizon): a writer that read a stale replica can overwrite our change that long after
// it was made, and must be caught before the callers are answered; and a command that starts after
// this one must not find a replica without the change.
func (w *appWorker) confirmOwn(ctx context.Context, b *batch) (*appState, time.Time, map[string]error, error) {
	intents := b.intents
	sent := b.cur
	failed := make(map[string]error)
	written := w.c.now()
	w.noteWrite(written)
	p := callPolicy{what: "GET /applications/" + w.objectID + " (confirmation)"}
	matches, misses, reapplied := 0, 0, 0
	for {
		readAt := w.c.now()
		st, err := w.get(ctx, p, nil)
		w.c.stats.confirmReads.Add(1)
		if err != nil {
			return nil, time.Time{}, nil, err
		}
		lost := missing(intents, st)
		elapsed := w.c.now().Sub(written)
		var wait time.Duration
		switch {
		case len(lost) == 0:
			matches++
			horizon, need := w.overwriteHorizon(), w.c.confirmReadsNeeded()
			if matches >= need && elapsed >= horizon {
				if misses == 0 && reapplied == 0 && need == w.c.cfg.ConfirmReads {
					w.c.cleanConfirms.Add(1)
				}
				w.noteKnown(st)
				return st, readAt, failed, nil
			}
			wait = max(w.c.cfg.ConfirmInterval, 0)
			if matches >= need {
				wait = max(wait, horizon-elapsed) // one more read once an overwrite would show
			}
		case w.overwritten(st, sent, intents, elapsed):
			if reapplied >= w.c.cfg.MaxReapply {
				return nil, time.Time{}, nil, &OverwrittenError{ObjectID: w.objectID, Reapplied: reapplied, Missing: describe(lost)}
			}
			reapplied++
			w.c.stats.reapplies.Add(1)
			w.c.logWarn(ctx, "another writer overwrote a change of this process; applying it again",
				map[string]any{"object_id": w.objectID, "missing": len(lost), "attempt": reapplied})
			next, fails := w.reapply(st, lost)
			for k, e := range fails {
				failed[k] = e
			}
			intents = withoutKeys(intents, fails)
			matches = 0
			if cols := changedCollections(st, next); cols != 0 {
				if err := w.patch(ctx, next, cols); err != nil {
					return nil, time.Time{}, nil, err
				}
				written, sent = w.c.now(), next
				w.noteWrite(written)
			}
			continue
		default:
			matches = 0
			misses++
			w.c.noteLag(elapsed)
			w.c.stats.addRetry(ReasonNotYetVisible)
			// Replicas catch up within seconds; polling at most every maxConfirmWait keeps the
			// wait close to the actual lag without hammering Graph.
			wait = min(w.c.cfg.Backoff.delay(misses, w.c.random()), maxConfirmWait)
		}
		if deadline, ok := ctx.Deadline(); ok && w.c.now().Add(wait).After(deadline) {
			return nil, time.Time{}, nil, fmt.Errorf("%s not visible on %d consecutive reads before the deadline (%d reads did not show it)",
				b.cols, w.c.cfg.ConfirmReads, misses)
		}
		if err := w.c.sleep(ctx, wait); err != nil {
			return nil, time.Time{}, nil, err
		}
	}
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
			w.foreign = true
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
	for _, i := range missing(w.expected(), st) {
		if keys[i.key()] {
			continue
		}
		if err := i.apply(next); err != nil && !errors.Is(err, errIntentDeferred) {
			w.drop(i.key())
		}
	}
	return next, failed
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

// overwriteHorizon is how long after a write the confirmation reads must go on. While this process
// has seen neither replication lag nor another writer, zero. Once it has, at least AbsenceWindow
// (which is set above the directory's replication lag) and the lag it observed: until then a
// replica may still lack the write, so a writer that reads it (another workspace, or the next
// terraform command) could build on a state without it and overwrite it.
func (w *appWorker) overwriteHorizon() time.Duration {
	w.mu.Lock()
	foreign := w.foreign
	w.mu.Unlock()
	lag := w.c.lag()
	if !foreign && lag == 0 {
		return 0
	}
	return max(lag, w.c.cfg.AbsenceWindow)
}

// noteWrite records when this process last wrote the application.
func (w *appWorker) noteWrite(t time.Time) {
	w.mu.Lock()
	w.lastWrite = t
	w.mu.Unlock()
}

// noteLag records that a read missed a write made d ago: the directory's replication lag is at
// least d. A write missing for ReapplyAfter or longer is taken as overwritten, not as lag, so longer
// durations are not recorded (they would make every confirmation wait longer and longer).
func (c *Client) noteLag(d time.Duration) {
	if d >= c.cfg.ReapplyAfter {
		return
	}
	for {
		cur := c.observedLag.Load()
		if int64(d) <= cur || c.observedLag.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// overwriteAfter is how long a write of this process may stay invisible before it is taken as
// overwritten by another writer: ReapplyAfter, or twice the observed lag when that is longer, but
// never longer than StaleReadWindow.
func (c *Client) overwriteAfter() time.Duration {
	return min(max(c.cfg.ReapplyAfter, 2*c.lag()), c.cfg.StaleReadWindow)
}

// confirmReadsNeeded is how many consecutive reads must show a write: ConfirmReads until this
// process has made one such confirmation without a miss; after that, while it has observed no
// replication lag at all, one read (the directory has shown itself consistent); once it has observed
// lag, ConfirmReads again (and the overwrite horizon).
func (c *Client) confirmReadsNeeded() int {
	if c.lag() == 0 && c.cleanConfirms.Load() > 0 {
		return 1
	}
	return c.cfg.ConfirmReads
}

// lag returns the longest replication lag this process observed.
func (c *Client) lag() time.Duration { return time.Duration(c.observedLag.Load()) }
