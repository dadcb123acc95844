package core

import (
	"testing"
	"time"
)

// What an earlier read may be used for: one row per use and bound.
func TestReuse(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l := Lag{Declared: 3 * time.Second, WriteReuse: time.Second}
	at := start.Add(4 * time.Second) // read started after FreshFrom (start + 3 s)
	s := func(d time.Duration) time.Time { return at.Add(d) }
	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"a reader within ReadReuse", MayServe(at, at, s(30*time.Second), 30*time.Second), true},
		{"a reader past ReadReuse", MayServe(at, at, s(31*time.Second), 30*time.Second), false},
		{"a reader that needs a later read", MayServe(at, s(time.Millisecond), s(time.Second), 30*time.Second), false},
		{"a reader with reuse off", MayServe(at, at, at, -1), false},
		{"a round within WriteReuse", l.MayBuildOn(at, start, s(time.Second), false), true},
		{"a round past WriteReuse", l.MayBuildOn(at, start, s(1001*time.Millisecond), false), false},
		{"a round on a read before FreshFrom", l.MayBuildOn(start.Add(2*time.Second), start, start.Add(2*time.Second), false), false},
		{"a round on a distrusted read", l.MayBuildOn(at, start, at, true), false},
		{"a round with WriteReuse off", Lag{WriteReuse: -1}.MayBuildOn(at, start, at, false), false},
		{"a round on no read", l.MayBuildOn(time.Time{}, start, at, false), false},
		{"a resend within WriteReuse", l.MayBuildOnSent(at, s(time.Second)), true},
		{"a resend past WriteReuse", l.MayBuildOnSent(at, s(2*time.Second)), false},
		{"a resend on no read", l.MayBuildOnSent(time.Time{}, at), false},
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
