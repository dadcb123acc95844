package graph

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Settling. A write is confirmed once one read shows it: Graph committed it. A replica that is behind
// may still lack it for as long as the directory's replication lag, and whoever builds on such a
// replica in that time overwrites it: another writer, or the next terraform command (a destroy
// right after an apply, also with -refresh=false). So a process must not end before its writes have
// replicated. Waiting for that after every write would make every round wait out the lag; instead the
// process's last operation waits. An operation whose change is confirmed returns at once while
// another operation is in flight (Terraform is still working; the newer one will wait if it is the
// last); the last one returns once every application this process wrote has had its replication
// window since its last write, and a read taken after that window still shows this process's changes
// (or they are restored first, at most MaxReapply times).
//
// Only applications that share their writes settle: every application when Config.ConcurrentWriters
// is set, else those on which this process saw another writer's change. A run that settles waits the
// window (settleEnd) once at its end and wherever Terraform waits for a single resource (the scope
// before its clients); a run that wrote nothing, or that nobody writes beside, never waits.

// ReasonSettle counts the waits of a process's last operation for its writes to replicate.
const ReasonSettle RetryReason = "settle"

// beginOp counts a mutation in flight and wakes an operation that is waiting to settle.
func (c *Client) beginOp() {
	c.mutating.Store(true)
	c.opsMu.Lock()
	defer c.opsMu.Unlock()
	c.ops++
	if c.arrival != nil {
		close(c.arrival)
	}
	c.arrival = make(chan struct{})
}

// Mutating reports whether this Client has started a change of an application. Terraform plans and
// applies in separate provider processes, and re-plans each resource right before applying it: a
// process that mutates is the apply, whose plan-time checks the plan already made.
func (c *Client) Mutating() bool { return c.mutating.Load() }

// endOp counts a mutation as returned.
func (c *Client) endOp() {
	c.opsMu.Lock()
	defer c.opsMu.Unlock()
	c.ops--
}

// settle returns at once, ending the operation, while another operation is in flight; otherwise it
// waits as described above. Its error is the caller's: the caller's change may have been overwritten
// and could not be restored, or the caller's context ended.
func (c *Client) settle(ctx context.Context) error {
	ended := false
	defer func() {
		if !ended {
			c.endOp()
		}
	}()
	detached := false // the caller's context ended; the settle runs on a context of its own
	notSettled := func(err error) error {
		if detached {
			return fmt.Errorf("the changes of this run were not settled (another writer may still overwrite them): %w", err)
		}
		return err
	}
	for {
		// Checking for others and ending this operation is one step: two operations answered
		// together must not both see the other one and leave without a wait.
		c.opsMu.Lock()
		if c.ops > 1 {
			c.ops--
			ended = true
			c.opsMu.Unlock()
			return nil
		}
		arrival := c.arrival
		c.opsMu.Unlock()
		confirming := c.confirming()
		due, watch := c.settleDue()
		if confirming == nil && due.IsZero() && len(watch) == 0 {
			return nil
		}
		if ctx.Err() != nil && !detached {
			// The operations that returned at once rely on this one to settle: keep that promise
			// on a context of its own, bounded by the rest of the window and one read.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), max(due.Sub(c.now()), 0)+c.settleHorizon()+c.requestBound())
			defer cancel()
			detached = true
		}
		if confirming != nil {
			// Callers are answered at commit; the last operation waits for their confirmation.
			select {
			case <-confirming:
			case <-arrival:
			case <-ctx.Done():
				if detached {
					return notSettled(ctx.Err())
				}
			}
			continue
		}
		if wait := due.Sub(c.now()); wait > 0 {
			c.stats.addRetry(ReasonSettle)
			timer := time.NewTimer(wait)
			select {
			case <-arrival:
			case <-timer.C:
			case <-ctx.Done():
				if detached {
					timer.Stop()
					return notSettled(ctx.Err())
				}
			}
			timer.Stop()
			continue
		}
		if err := watchAll(ctx, watch); err != nil {
			if ctx.Err() != nil && !detached {
				continue // the caller gave up during the read: read again on a context of its own
			}
			return notSettled(err)
		}
	}
}

// confirming returns a channel closed when a confirmation in progress ends, or nil when none runs.
func (c *Client) confirming() <-chan struct{} {
	for _, w := range c.allWorkers() {
		w.mu.Lock()
		ch := w.confirming
		w.mu.Unlock()
		if ch != nil {
			return ch
		}
	}
	return nil
}

// allWorkers returns the client's workers.
func (c *Client) allWorkers() []*appWorker {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*appWorker, 0, len(c.workers))
	for _, w := range c.workers {
		out = append(out, w)
	}
	return out
}

// settleDue returns, for the applications whose last write has not settled, the latest end of their
// replication windows when one is still ahead; else those whose windows have ended.
func (c *Client) settleDue() (due time.Time, watch []*appWorker) {
	now := c.now()
	for _, w := range c.allWorkers() {
		end, ok := w.settleEnd()
		switch {
		case !ok:
		case end.After(now):
			due = maxTime(due, end)
		default:
			watch = append(watch, w)
		}
	}
	if !due.IsZero() {
		return due, nil
	}
	return time.Time{}, watch
}

// watchAll watches the applications, ten at a time. Their reads take the one read path: reads of
// different applications needed at the same moment share a GET /applications?$filter=id in (…)
// (batchread.go), so a platform repository's hundred applications cost a few lists.
func watchAll(ctx context.Context, workers []*appWorker) error {
	errs := make([]error, len(workers))
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = w.watch(ctx)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// settleEnd returns when the settle window after the application's last write ends; ok is false
// when that write has settled, or when the application needs no settling: nobody else is declared
// to write it (Config.ConcurrentWriters) and this process saw no other writer's change on it. A
// sequential command after this one is safe without the wait: its writes build only on reads started
// L after it began (freshFrom).
//
// The window is settleHorizon (2L+WriteReuse, lag.go). It applies whether or not this process
// observed lag: a concurrent writer whose changes all came after our reads is invisible until then,
// and the replica that served our reads may have been up to date while the one another writer reads
// was not.
func (w *appWorker) settleEnd() (time.Time, bool) {
	horizon := w.c.settleHorizon()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastWrite.IsZero() || !w.settled.Before(w.lastWrite) || (!w.c.cfg.ConcurrentWriters && !w.foreign) {
		return time.Time{}, false
	}
	return w.lastWrite.Add(horizon), true
}

// watch ends the replication window of the last write: one read taken now decides whether this
// process's changes survived (another writer may have built on a replica without them, even one this
// process never saw); those that did not are restored through the worker (a new write, with its own
// window).
func (w *appWorker) watch(ctx context.Context) error {
	// read, not get: a replica still behind (the lag outlasted the window) is retried, and only a read
	// that shows another writer's change, or lacks ours for longer than replication explains, counts.
	st, err := w.read(ctx)
	if err != nil {
		return fmt.Errorf("checking that the changes of this process survived: %w", err)
	}
	return w.afterWatchRead(ctx, st)
}

// afterWatchRead settles the last write when st, read after the window, shows this process's changes,
// and restores those it lacks.
func (w *appWorker) afterWatchRead(ctx context.Context, st *model.State) error {
	w.mu.Lock()
	last := w.lastWrite
	w.mu.Unlock()
	w.noteForeign(st)
	w.cacheRead(st)
	lost := model.Missing(w.expected(), st)
	if len(lost) == 0 {
		w.markSettled(last)
		return nil
	}
	w.mu.Lock()
	w.restores++
	restores := w.restores
	w.mu.Unlock()
	if !w.c.mayReapply(restores - 1) {
		return &OverwrittenError{ObjectID: w.objectID, Reapplied: restores - 1, Missing: describe(lost)}
	}
	w.c.logWarn(ctx, "another writer overwrote changes of this process after they were confirmed; applying them again",
		map[string]any{"object_id": w.objectID, "missing": len(lost), "attempt": restores})
	o := &op{ctx: ctx, name: "restoring changes another writer overwrote", done: make(chan error, 1),
		step: func(*model.State) stepResult { return stepResult{done: true} }}
	w.submit(o, st)
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *appWorker) markSettled(last time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.settled.Before(last) {
		w.settled = last
	}
}
