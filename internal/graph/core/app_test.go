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
	l := Lag{Declared: 3 * time.Second}
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
		{"the latest read serves a reader", a.Cached(time.Time{}, now) == read, true},
		{"not one that needs a later read", a.Cached(now, now) == nil, true},
		{"a round builds on it within WriteReuse", a.Base(false, l, start, now) == read, true},
		{"not once another writer was seen", a.Base(true, l, start, now) == nil, true},
		{"nor past WriteReuse", a.Base(false, l, start, now.Add(time.Second)) == nil, true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	a.MustRead = true
	if a.Base(false, l, start, now) != nil || a.MustRead || a.Base(false, l, start, now) != read {
		t.Error("MustRead: the next round must read, once")
	}
	older := read.Clone()
	older.ReadAt = start
	if a.Cache(older, older.ReadAt, a.Gen); a.Cached(time.Time{}, now) != read {
		t.Error("an older read replaced a newer one")
	}
	a.Commit(model.IntentsOf(&model.State{}, with(&model.State{}, "api://b")), now)
	if a.Cached(time.Time{}, now) != nil || a.Base(false, l, start, now) != nil {
		t.Error("a read made before a confirmed write still serves")
	}
	if a.Cache(read, read.ReadAt, a.Gen-1); a.Cached(time.Time{}, now) != nil {
		t.Error("a read started before a confirmed write was kept")
	}
	// The settle read: what survived settles the last write; what did not is restored, a bounded number of times.
	if !a.LastWrite.Equal(now) {
		t.Errorf("Commit: last write %s, want %s", a.LastWrite, now)
	}
	for want := 1; want <= MaxReapply+1; want++ { // past MaxReapply: not ok
		if lost, n, ok := a.Watched(read); len(lost) != 1 || n != want || ok != (want <= MaxReapply) || !a.Settled.IsZero() {
			t.Errorf("Watched without our change: lost %v, attempt %d, ok %v", lost, n, ok)
		}
	}
	if lost, _, ok := a.Watched(with(read, "api://b")); lost != nil || !ok || !a.Settled.Equal(now) {
		t.Errorf("Watched with our change: lost %v, settled %s", lost, a.Settled)
	}
	retried := errors.New("429")
	a.Retrying(retried, now)
	if !errors.Is(a.RetryingSince(now), retried) || a.RetryingSince(now.Add(time.Nanosecond)) != nil {
		t.Error("RetryingSince: a failure recorded at t is the reason of callers from t on only")
	}
}

// with returns a copy of st that holds the identifier URIs.
func with(st *model.State, uris ...string) *model.State {
	next := st.Clone()
	for _, u := range uris {
		model.EnsureIdentifierURI(next, u)
	}
	return next
}

// A read is judged against what this process confirmed and saw: one row per rule.
func TestMemory(t *testing.T) {
	base := &model.State{ObjectID: "obj", AppID: "app"}
	ours := model.IntentsOf(base, with(base, "api://ours"))
	cases := []struct {
		name string
		read *model.State
		// looksOld: a replica that is behind; foreign: another writer's change since known.
		looksOld, foreign bool
		// overwritten, seenForeign: Classify's answer for ours in flight, missing for 1 s of 6 s.
		overwritten, seenForeign bool
	}{
		{"shows our change", with(base, "api://ours"), false, false, false, false},
		{"lacks it and shows nothing new: a replica behind", base, true, false, false, false},
		{"lacks it and shows another writer's change: overwritten", with(base, "api://theirs"), false, true, true, true},
		{"shows ours and another writer's beside it", with(base, "api://ours", "api://theirs"), false, true, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := NewApp()
			m.Observe(base)
			m.Commit(ours, time.Time{})
			if got := m.LooksOld(tc.read); got != tc.looksOld {
				t.Errorf("LooksOld = %v, want %v", got, tc.looksOld)
			}
			// Classify decides on reads that lack some of ours.
			if len(model.Missing(ours, tc.read)) > 0 {
				if o, _, f := classify(m, ours, tc.read, with(base, "api://ours"), time.Second); (o == Overwritten) != tc.overwritten || f != tc.seenForeign {
					t.Errorf("Classify = %v, foreign %v; want overwritten %v, foreign %v", o, f, tc.overwritten, tc.seenForeign)
				}
			}
			if got := m.Observe(tc.read); got != tc.foreign {
				t.Errorf("Observe = %v, want %v", got, tc.foreign)
			}
		})
	}
	m := NewApp()
	m.Commit(ours, time.Time{})
	if o, _, f := classify(m, ours, base, with(base, "api://ours"), 6*time.Second); o != Overwritten || f {
		t.Errorf("missing for OverwriteAfter: Classify = %v, foreign %v; want Overwritten, false (longer than lag explains)", o, f)
	}
	if m.Drop(ours[0].Key()); len(m.Expected()) != 0 || m.LooksOld(base) {
		t.Errorf("a dropped intent is still expected: %v", m.Expected())
	}
}
