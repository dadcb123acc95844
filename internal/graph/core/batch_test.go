package core

import (
	"testing"
	"time"
)

// The batcher's linger and stall rules, one row each.
func TestBatchRules(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	window := 50 * time.Millisecond
	for _, tc := range []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"presence lookups wait for company", Linger(true, 3, t0, t0.Add(20*time.Millisecond), window), 30 * time.Millisecond},
		{"another read ends the wait", Linger(false, 3, t0, t0, window), 0},
		{"a full list ends the wait", Linger(true, MaxListBatch, t0, t0, window), 0},
		{"an empty queue does not wait", Linger(true, 0, t0, t0, window), 0},
		{"the window has passed", Linger(true, 1, t0, t0.Add(window), window), 0},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: Linger = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	for _, tc := range []struct {
		name               string
		senders, inRequest int
		out                time.Duration
		want               bool
	}{
		{"every sender out ReadStallAfter: stalled", 1, 1, ReadStallAfter, true},
		{"out less than ReadStallAfter", 1, 1, ReadStallAfter - time.Millisecond, false},
		{"a sender between two requests takes the queue", 2, 1, time.Minute, false},
	} {
		if got := Stalled(tc.senders, tc.inRequest, t0, t0.Add(tc.out)); got != tc.want {
			t.Errorf("%s: Stalled = %v, want %v", tc.name, got, tc.want)
		}
	}
}
