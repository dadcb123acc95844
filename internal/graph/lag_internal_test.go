package graph

import (
	"testing"
	"time"
)

// Every window derives from the one bound L: changing L changes each of them, and an observed lag
// longer than L widens them for the rest of the process.
func TestEveryWindowDerivesFromTheLagBound(t *testing.T) {
	at := func(lag time.Duration) *Client {
		start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		return &Client{cfg: Config{ReplicationLag: lag, WriteReuse: time.Second}, started: start}
	}
	type windows struct {
		freshFrom             time.Time
		settle, overwrite, lg time.Duration
	}
	of := func(c *Client) windows {
		return windows{c.freshFrom(), c.settleHorizon(), c.overwriteAfter(), c.lagBound()}
	}
	short, long := of(at(2*time.Second)), of(at(4*time.Second))
	if !long.freshFrom.After(short.freshFrom) || long.settle <= short.settle || long.overwrite <= short.overwrite {
		t.Fatalf("windows at L=2s %+v and L=4s %+v: each must grow with L", short, long)
	}
	c := at(3 * time.Second)
	if got, want := c.settleHorizon(), 7*time.Second; got != want {
		t.Errorf("settle horizon at L=3s = %s, want %s (2L + WriteReuse)", got, want)
	}
	if got, want := c.freshFrom(), c.started.Add(3*time.Second); !got.Equal(want) {
		t.Errorf("fresh from = %s, want the command start + L", got)
	}
	if got, want := c.overwriteAfter(), 6*time.Second; got != want {
		t.Errorf("overwrite after = %s, want 2L", got)
	}
	before := of(c)
	c.noteLag(4 * time.Second) // longer than L, shorter than 2L: lag, and L widens
	after := of(c)
	if after.lg != 4*time.Second || after.settle <= before.settle || !after.freshFrom.After(before.freshFrom) || after.overwrite <= before.overwrite {
		t.Errorf("an observed lag of 4 s did not widen the windows: before %+v, after %+v", before, after)
	}
	c.noteLag(7 * time.Second) // at or above 2L: an overwrite, not lag
	if c.lagBound() != 4*time.Second {
		t.Errorf("a 7 s absence was recorded as lag: bound %s", c.lagBound())
	}
	free := at(-1) // declared lag-free
	if free.lagBound() != 0 || !free.freshFrom().Equal(free.started) || free.settleHorizon() != time.Second {
		t.Errorf("lag-free: bound %s, fresh from %s after start, settle %s", free.lagBound(), free.freshFrom().Sub(free.started), free.settleHorizon())
	}
}
