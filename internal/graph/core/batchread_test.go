package core

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestTake(t *testing.T) {
	var q []Queued[bool] // W: whether the reader is gone
	for i := range MaxListBatch + 2 {
		q = append(q, Queued[bool]{ID: fmt.Sprint(i), W: i == 1})
	}
	q = append(q, Queued[bool]{ID: "0", At: time.Unix(1, 0)}) // an object already named joins at no cost
	batch, rest, ids := Take(q, func(gone bool) bool { return gone })
	if len(ids) != MaxListBatch || ids[0] != "0" || slices.Contains(ids, "1") {
		t.Errorf("ids = %v: want the first %d objects still wanted, in queue order", ids, MaxListBatch)
	}
	if len(batch) != MaxListBatch+1 || batch[len(batch)-1] != q[len(q)-1] {
		t.Errorf("batch has %d reads; want %d with the second read of object 0", len(batch), MaxListBatch+1)
	}
	if slices.Contains(batch, q[1]) || len(rest) != 1 || rest[0].ID != fmt.Sprint(MaxListBatch+1) {
		t.Errorf("rest %v: want the read that gone dropped in neither batch nor rest", rest)
	}
}

// The sender's linger, one row each.
func TestLingerFor(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	type queue = []Queued[struct{}]
	w := func(id string, presence bool) Queued[struct{}] {
		return Queued[struct{}]{ID: id, Presence: presence, At: t0}
	}
	full := make(queue, MaxListBatch)
	for i := range full {
		full[i] = w(fmt.Sprint(i), true)
	}
	old := w("a", true)
	old.At = t0.Add(-30 * time.Millisecond)
	window := 50 * time.Millisecond
	for name, tc := range map[string]struct {
		q    queue
		want time.Duration
	}{
		"an empty queue does not wait":      {nil, 0},
		"presence lookups wait for company": {queue{w("a", true), w("a", true), w("b", true)}, 30 * time.Millisecond},
		"a read among them ends the wait":   {queue{w("a", true), w("b", false)}, 0},
		"a full list ends the wait":         {full, 0},
		"the oldest has waited the window":  {queue{old, w("b", true)}, 0},
	} {
		if got := LingerFor(tc.q, t0.Add(20*time.Millisecond), window); got != tc.want {
			t.Errorf("%s: LingerFor = %s, want %s", name, got, tc.want)
		}
	}
}

func TestListRefusal(t *testing.T) {
	for status, want := range map[int][2]bool{400: {true, false}, 403: {true, true}, 404: {}, 429: {}, 500: {}} {
		if alone, off := ListRefusal(status); alone != want[0] || off != want[1] {
			t.Errorf("ListRefusal(%d) = %v, %v; want %v", status, alone, off, want)
		}
	}
}
