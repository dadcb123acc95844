package core

import (
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// What an earlier read may be used for: one row per use and bound (App.Cached, App.Base, MayBuildOnSent).
func TestReuse(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l := Lag{Declared: 3 * time.Second}
	at := start.Add(4 * time.Second) // read started after FreshFrom (start + 3 s)
	s := func(d time.Duration) time.Time { return at.Add(d) }
	read := &model.State{ObjectID: "obj", ReadAt: at}
	readAt := func(t time.Time) *model.State { st := read.Clone(); st.ReadAt = t; return st }
	a := NewApp()
	a.Record(read)
	base := func(st *model.State, foreign bool, now time.Time) *model.State {
		b := NewApp()
		b.Record(st)
		return b.Base(foreign, l, start, now)
	}
	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"a reader within ReadReuse", a.Cached(at, s(ReadReuse)) == read, true},
		{"a reader past ReadReuse", a.Cached(at, s(ReadReuse+time.Second)) == nil, true},
		{"a reader that needs a later read", a.Cached(s(time.Millisecond), s(time.Second)) == nil, true},
		{"a round within WriteReuse", base(read, false, s(time.Second)) == read, true},
		{"a round past WriteReuse", base(read, false, s(1001*time.Millisecond)) == nil, true},
		{"a round on a read before FreshFrom", base(readAt(start.Add(2*time.Second)), false, start.Add(2*time.Second)) == nil, true},
		{"a round on a distrusted read", base(read, true, at) == nil, true},
		{"a round on no read", base(readAt(time.Time{}), false, at) == nil, true},
		{"a resend within WriteReuse", MayBuildOnSent(at, s(time.Second)), true},
		{"a resend past WriteReuse", MayBuildOnSent(at, s(2*time.Second)), false},
		{"a resend on no read", MayBuildOnSent(time.Time{}, at), false},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// The plan-time absence window, one row each.
func TestAbsenceWindow(t *testing.T) {
	from := time.Date(2026, 12, 7, 10, 0, 3, 0, time.UTC)
	before, after := from.Add(-time.Second), from.Add(time.Second)
	for _, tc := range []struct {
		name      string
		got, want bool
	}{
		{"a reader with a check reads at once", ReadAtOnce(true, before, from), true},
		{"a reader without a check waits for the window", ReadAtOnce(false, before, from), false},
		{"after the window every reader reads at once", ReadAtOnce(false, after, from), true},
		{"an item that holds is answered on any read", Decides(true, before, from), true},
		{"a missing item on a read from before the window is not decided", Decides(false, before, from), false},
		{"a missing item on a read started at the window is decided", Decides(false, from, from), true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
