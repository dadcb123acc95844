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
	c.opsMu.Lock()
	defer c.opsMu.Unlock()
	c.ops++
	if c.arrival != nil {
		close(c.arrival)
	}
	c.arrival = make(chan struct{})
}

// Mutating reports whether this Client has started a change of an application: a process that
// mutates is Terraform's apply, whose plan-time checks the plan already made.
func (c *Client) Mutating() bool { return c.mutating.Load() }

// endOp counts a mutation as returned.
func (c *Client) endOp() {
	c.opsMu.Lock()
	defer c.opsMu.Unlock()
	c.ops--
}

// settle ends the operation (v3 rule 2): at once while another is in flight, else after the settle
// steps (core.Settle). Its error is the caller's: a change lost for good, or the context's end.
func (c *Client) settle(ctx context.Context) error {
	var s core.Settle
	ended := false
	defer func() {
		if !ended {
			c.endOp()
		}
	}()
	for {
		// One step: two operations answered together must not both see the other and leave.
		c.opsMu.Lock()
		if ended = c.ops > 1; ended {
			c.ops--
		}
		arrival := c.arrival
		c.opsMu.Unlock()
		if ended {
			return nil
		}
		confirming, ends, workers := c.settleState()
		step := s.Next(c.now(), confirming != nil, ends, ctx.Err() != nil, c.lag(), core.RequestTimeout)
		if step.Done {
			return nil
		}
		if step.Detach > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), step.Detach)
			defer cancel()
		}
		var fired <-chan time.Time
		switch {
		case step.Watch != nil:
			if err := watchAll(ctx, workers, step.Watch); err != nil && s.Reports(ctx.Err() == nil) {
				return notSettled(s.Detached, err)
			}
			continue
		case !step.Until.IsZero():
			c.stats.addRetry(core.ReasonSettle)
			fired = time.After(step.Until.Sub(c.now()))
		}
		select {
		case <-confirming:
		case <-fired:
		case <-arrival:
		case <-ctx.Done():
			if s.Detached {
				return notSettled(true, ctx.Err())
			}
		}
	}
}

func notSettled(detached bool, err error) error {
	if detached {
		return fmt.Errorf("the changes of this run were not settled (another writer may still overwrite them): %w", err)
	}
	return err
}

// settleState returns a confirmation in progress (nil when none runs), the workers, and the end of
// each one's settle window.
func (c *Client) settleState() (confirming <-chan struct{}, ends []time.Time, workers []*appWorker) {
	c.mu.Lock()
	workers = slices.Collect(maps.Values(c.workers))
	c.mu.Unlock()
	ends, l := make([]time.Time, len(workers)), c.lag()
	for i, w := range workers {
		w.mu.Lock()
		if w.confirming != nil {
			confirming = w.confirming
		}
		ends[i] = l.SettleEnd(w.app.LastWrite, w.app.Settled, c.cfg.ConcurrentWriters || w.foreign)
		w.mu.Unlock()
	}
	return confirming, ends, workers
}

// watchAll watches the workers at the indices, ten at a time (their reads share lists, batchread.go).
func watchAll(ctx context.Context, workers []*appWorker, indices []int) error {
	errs := make([]error, len(indices))
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i, j := range indices {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = workers[j].watch(ctx)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// watch reads once the settle window has ended (core.App.Watched); what another writer overwrote is
// restored through the worker, a new write with its own window.
func (w *appWorker) watch(ctx context.Context) error {
	st, err := w.read(ctx) // read, not get: a replica still behind is retried
	if err != nil {
		return fmt.Errorf("checking that the changes of this process survived: %w", err)
	}
	w.seen(st)
	w.mu.Lock()
	lost, attempt, ok := w.app.Watched(st, core.MaxReapply)
	w.mu.Unlock()
	if len(lost) == 0 {
		return nil
	}
	if !ok {
		return &model.OverwrittenError{ObjectID: w.objectID, Reapplied: attempt - 1, Missing: lost}
	}
	w.c.logWarn(ctx, "another writer overwrote changes of this process after they were confirmed; applying them again",
		map[string]any{"object_id": w.objectID, "missing": len(lost), "attempt": attempt})
	o := &op{Op: model.Op{Name: "restoring changes another writer overwrote", Step: func(*model.State) (bool, error) { return true, nil }},
		ctx: ctx, done: make(chan error, 1)}
	w.submit(o, st)
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
