// Package clocktest is a manual clock for the tests of code that takes its clock and its waits as
// functions (Now, Sleep): the Graph and LKPS clients' retries. Sleep records the wait and moves the
// clock forward instead of waiting, so that a test can assert the exact waits without spending them.
package clocktest

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a manual clock, safe for concurrent use.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
	// SleepErr, when set, is what Sleep returns, without moving the clock (a wait cut short, as by a
	// cancelled context).
	SleepErr error
}

// New returns a clock that starts at now.
func New(now time.Time) *Clock {
	return &Clock{now: now}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records the wait d and moves the clock forward by it; it returns SleepErr when set, else ctx's
// error.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	if c.SleepErr != nil {
		return c.SleepErr
	}
	c.now = c.now.Add(d)
	return ctx.Err()
}

// Waits returns the waits Sleep recorded, in order.
func (c *Clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}
