package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// beginOp counts a mutation in flight and wakes an operation that is waiting to settle.
func (c *Client) beginOp() {
	c.mutating.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops++
	close(c.arrival)
	c.arrival = make(chan struct{})
}

// Mutating reports whether this Client has started a change of an application: a process that
// mutates is Terraform's apply, whose plan-time checks the plan already made.
func (c *Client) Mutating() bool { return c.mutating.Load() }

// endOp counts a mutation as returned.
func (c *Client) endOp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops--
}

// settle ends the operation (v3 rule 2): at once while another is in flight, else after the settle
// steps (core.Settle). Its error is the caller's: a change lost for good, or the context's end.
func (c *Client) settle(ctx context.Context) (err error) {
	var s core.Settle
	left := false // counted out already, leaving the settling to another operation in flight
	defer func() {
		if !left {
			c.endOp()
		}
		if err != nil && s.Detached {
			err = fmt.Errorf("the changes of this run were not settled (another writer may still overwrite them): %w", err)
		}
	}()
	for {
		// One step: two operations answered together must not both see the other and leave.
		c.mu.Lock()
		if left = c.ops > 1; left {
			c.ops--
		}
		arrival, workers := c.arrival, slices.Collect(maps.Values(c.workers))
		c.mu.Unlock()
		if left {
			return nil
		}
		var confirming <-chan struct{} // a confirmation in progress
		ends, l := make([]time.Time, len(workers)), c.lag()
		for i, w := range workers {
			w.mu.Lock()
			if w.confirming != nil {
				confirming = w.confirming
			}
			ends[i] = l.SettleEnd(w.app.LastWrite, w.app.Settled, c.cfg.ConcurrentWriters || w.foreign)
			w.mu.Unlock()
		}
		step := s.Next(c.now(), confirming != nil, ends, ctx.Err() != nil, l)
		if step.Done {
			return nil
		}
		if step.Detach > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), step.Detach)
			defer cancel()
		}
		if step.Watch != nil {
			if werr := watchAll(ctx, workers, step.Watch); werr != nil && s.Reports(ctx.Err() == nil) {
				return werr
			}
			continue
		}
		var fired <-chan time.Time
		if !step.Until.IsZero() {
			c.addRetry(core.ReasonSettle)
			fired = time.After(step.Until.Sub(c.now()))
		}
		select {
		case <-confirming:
		case <-fired:
		case <-arrival:
		case <-ctx.Done():
			if s.Detached {
				return ctx.Err()
			}
		}
	}
}

// watchAll watches the workers at the indices, ten at a time (their reads share lists, batchread.go).
func watchAll(ctx context.Context, workers []*appWorker, indices []int) error {
	errs := make([]error, len(indices))
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i, j := range indices {
		sem <- struct{}{}
		wg.Go(func() {
			errs[i] = workers[j].watch(ctx)
			<-sem
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// watch reads once the settle window has ended (core.App.Watched); what another writer overwrote is
// restored through the worker, a new write with its own window.
func (w *appWorker) watch(ctx context.Context) error {
	st, err := w.read(ctx, false)
	if err != nil {
		return fmt.Errorf("checking that the changes of this process survived: %w", err)
	}
	w.seen(st)
	w.mu.Lock()
	lost, attempt, ok := w.app.Watched(st)
	w.mu.Unlock()
	if len(lost) == 0 {
		return nil
	}
	if !ok {
		return &model.OverwrittenError{ObjectID: w.objectID, Reapplied: attempt - 1, Missing: lost}
	}
	w.c.logWarn(ctx, "another writer overwrote changes of this process after they were confirmed; applying them again",
		map[string]any{"object_id": w.objectID, "missing": len(lost), "attempt": attempt})
	restore := model.Op{Name: "restoring changes another writer overwrote", Step: func(*model.State) (bool, error) { return true, nil }}
	o := w.submit(ctx, restore)
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
