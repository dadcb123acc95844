package core

import (
	"testing"
	"time"
)

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
