package core

import (
	"errors"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// What an application's state lets a reader or a round reuse, and how a settle read decides.
func TestApp(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l := Lag{Declared: 3 * time.Second, WriteReuse: time.Second}
	read := with(&model.State{ObjectID: "obj"}, "api://a")
	read.ReadAt = start.Add(4 * time.Second) // after FreshFrom
	a := NewApp()
	a.Record(read)
	now := read.ReadAt.Add(500 * time.Millisecond)
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"the latest read serves a reader", a.Cached(time.Time{}, now, 30*time.Second) == read, true},
		{"not one that needs a later read", a.Cached(now, now, 30*time.Second) == nil, true},
		{"a round builds on it within WriteReuse", a.Base(nil, false, l, start, now) == read, true},
		{"not once another writer was seen", a.Base(nil, true, l, start, now) == nil, true},
		{"nor past WriteReuse", a.Base(nil, false, l, start, now.Add(time.Second)) == nil, true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	a.MustRead = true
	if a.Base(read, false, l, start, now) != nil || a.MustRead || a.Base(read, false, l, start, now) != read {
		t.Error("MustRead: the next round must read, once")
	}
	older := read.Clone()
	older.ReadAt = start
	if a.Cache(older, older.ReadAt, a.Gen); a.Cached(time.Time{}, now, 30*time.Second) != read {
		t.Error("an older read replaced a newer one")
	}
	a.Commit(model.IntentsOf(&model.State{}, with(&model.State{}, "api://b")))
	if a.Cached(time.Time{}, now, 30*time.Second) != nil || a.Base(nil, false, l, start, now) != nil {
		t.Error("a read made before a confirmed write still serves")
	}
	if a.Cache(read, read.ReadAt, a.Gen-1); a.Cached(time.Time{}, now, 30*time.Second) != nil {
		t.Error("a read started before a confirmed write was kept")
	}
	// The settle read: what survived settles the last write; what did not is restored, a bounded number of times.
	a.LastWrite = now
	if lost, n, ok := a.Watched(read, 1); len(lost) != 1 || n != 1 || !ok || !a.Settled.IsZero() {
		t.Errorf("Watched without our change: lost %v, attempt %d, ok %v", lost, n, ok)
	}
	if _, n, ok := a.Watched(read, 1); n != 2 || ok {
		t.Errorf("Watched past maxReapply: attempt %d, ok %v", n, ok)
	}
	if lost, _, ok := a.Watched(with(read, "api://b"), 1); lost != nil || !ok || !a.Settled.Equal(now) {
		t.Errorf("Watched with our change: lost %v, settled %s", lost, a.Settled)
	}
	retried := errors.New("429")
	a.Retrying(retried, now)
	if !errors.Is(a.RetryingSince(now), retried) || a.RetryingSince(now.Add(time.Nanosecond)) != nil {
		t.Error("RetryingSince: a failure recorded at t is the reason of callers from t on only")
	}
}
