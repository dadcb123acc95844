package core

import (
	"testing"
	"time"
)

// Every window derives from the one bound L: changing L changes each of them, and an observed lag
// longer than L widens them for the rest of the process.
func TestEveryWindowDerivesFromTheLagBound(t *testing.T) {
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(lag time.Duration) Lag { return Lag{Declared: lag} }
	type windows struct {
		freshFrom             time.Time
		settle, overwrite, lg time.Duration
	}
	of := func(l Lag) windows {
		return windows{l.FreshFrom(start), l.SettleHorizon(), l.OverwriteAfter(), l.Bound()}
	}
	short, long := of(at(2*time.Second)), of(at(4*time.Second))
	if !long.freshFrom.After(short.freshFrom) || long.settle <= short.settle || long.overwrite <= short.overwrite {
		t.Fatalf("windows at L=2s %+v and L=4s %+v: each must grow with L", short, long)
	}
	l := at(3 * time.Second)
	if got, want := l.SettleHorizon(), 7*time.Second; got != want {
		t.Errorf("settle horizon at L=3s = %s, want %s (2L + WriteReuse)", got, want)
	}
	if got, want := l.FreshFrom(start), start.Add(3*time.Second); !got.Equal(want) {
		t.Errorf("fresh from = %s, want the command start + L", got)
	}
	if got, want := l.OverwriteAfter(), 6*time.Second; got != want {
		t.Errorf("overwrite after = %s, want 2L", got)
	}
	before := of(l)
	l.Observed = l.Widen(4 * time.Second) // longer than L, shorter than 2L: lag, and L widens
	after := of(l)
	if after.lg != 4*time.Second || after.settle <= before.settle || !after.freshFrom.After(before.freshFrom) || after.overwrite <= before.overwrite {
		t.Errorf("an observed lag of 4 s did not widen the windows: before %+v, after %+v", before, after)
	}
	l.Observed = l.Widen(7 * time.Second) // at or above 2L: an overwrite, not lag
	if l.Bound() != 4*time.Second {
		t.Errorf("a 7 s absence was recorded as lag: bound %s", l.Bound())
	}
	free := at(-1) // declared lag-free
	if free.Bound() != 0 || !free.FreshFrom(start).Equal(start) || free.SettleHorizon() != time.Second {
		t.Errorf("lag-free: bound %s, fresh from %s after start, settle %s", free.Bound(), free.FreshFrom(start).Sub(start), free.SettleHorizon())
	}
}

// A 404 is retried briefly until this process wrote the application, then as a replica behind.
func TestNotFoundPolicy(t *testing.T) {
	l := Lag{Declared: 5 * time.Second}
	if r, w := l.NotFoundPolicy(false); r != ReasonNotFoundFirstLookup || w != 5*time.Second {
		t.Errorf("not written: %s for %s, want L", r, w)
	}
	if r, w := l.NotFoundPolicy(true); r != ReasonNotFoundAfterWrite || w != NotFoundAfterWriteWindow {
		t.Errorf("written: %s for %s, want %s", r, w, NotFoundAfterWriteWindow)
	}
}
