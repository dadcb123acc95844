package core

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// The settle rules, one row each.
func TestSettle(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l := Lag{Declared: 3 * time.Second}
	for _, tc := range []struct {
		name              string
		lastWrite, settle time.Time
		shared            bool
		want              time.Time
	}{
		{"no write", time.Time{}, time.Time{}, true, time.Time{}},
		{"not shared", t0, time.Time{}, false, time.Time{}},
		{"shared: 2L + WriteReuse after the last write", t0, time.Time{}, true, t0.Add(7 * time.Second)},
		{"the last write settled", t0, t0, true, time.Time{}},
		{"a write after the last settle", t0.Add(time.Second), t0, true, t0.Add(8 * time.Second)},
	} {
		if got := l.SettleEnd(tc.lastWrite, tc.settle, tc.shared); !got.Equal(tc.want) {
			t.Errorf("%s: SettleEnd = %s, want %s", tc.name, got, tc.want)
		}
	}
	now := t0.Add(5 * time.Second)
	ends := []time.Time{{}, t0, t0.Add(6 * time.Second), t0.Add(7 * time.Second)}
	var s Settle
	if step := s.Next(now, false, ends, false, l); !step.Until.Equal(t0.Add(7*time.Second)) || step.Watch != nil {
		t.Errorf("a window ahead: Next = %+v; want the latest end and no reads", step)
	}
	if step := s.Next(t0.Add(7*time.Second), false, ends, false, l); !step.Until.IsZero() || !slices.Equal(step.Watch, []int{1, 2, 3}) {
		t.Errorf("every window ended: Next = %+v; want reads of 1, 2, 3", step)
	}
	if step := s.Next(now, false, []time.Time{{}}, false, l); !step.Done || step.Watch != nil {
		t.Errorf("nothing to settle: Next = %+v", step)
	}
}

// The last operation's steps, one row each: what it sees, and what it does next.
func TestSettleNext(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l := Lag{Declared: 3 * time.Second}
	ahead, ended := []time.Time{{}, t0.Add(2 * time.Second)}, []time.Time{t0, {}}
	for _, tc := range []struct {
		name             string
		confirming, gone bool
		detached         bool
		ends             []time.Time
		want             SettleStep
	}{
		{"nothing to settle", false, false, false, []time.Time{{}}, SettleStep{Done: true}},
		{"nothing to settle, caller gone", false, true, false, nil, SettleStep{Done: true}},
		{"a confirmation first: wait for it, no window, no read", true, false, false, ended, SettleStep{}},
		{"a window ahead: wait for it", false, false, false, ahead, SettleStep{Until: t0.Add(2 * time.Second)}},
		{"windows ended: read them", false, false, false, ended, SettleStep{Watch: []int{0}}},
		{"caller gone: detach for the rest of the window, a horizon and a request", false, true, false, ahead,
			SettleStep{Until: t0.Add(2 * time.Second), Detach: 2*time.Second + l.SettleHorizon() + RequestTimeout}},
		{"detached once", false, true, true, ahead, SettleStep{Until: t0.Add(2 * time.Second)}},
	} {
		s := Settle{Detached: tc.detached}
		got := s.Next(t0, tc.confirming, tc.ends, tc.gone, l)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || s.Detached != (tc.detached || tc.want.Detach > 0) {
			t.Errorf("%s: Next = %+v, detached %v; want %+v", tc.name, got, s.Detached, tc.want)
		}
	}
	if s := (Settle{}); s.Reports(false) || !s.Reports(true) || !(&Settle{Detached: true}).Reports(false) {
		t.Error("Reports: a failed read is the caller's while its context is live or once detached, not before")
	}
}

// What a caller is told, one row per case of v3 rules 4 and 5.
func TestTold(t *testing.T) {
	opErr, ended, settle, late := errors.New("409"), errors.New("deadline"), errors.New("not settled"), errors.New("overwritten")
	str := func(err error) string { return fmt.Sprint(err) }
	for _, tc := range []struct {
		name                 string
		err, gaveUp, settled error
		late                 error
		settleEnded          bool
		wantOp, wantSettle   string
		wantNotice           string
	}{
		{"success", nil, nil, nil, nil, false, "<nil>", "<nil>", "<nil>"},
		{"a late failure is the waiting caller's", nil, nil, nil, late, false, "op: overwritten", "<nil>", "<nil>"},
		{"the op's own failure comes first", opErr, nil, nil, late, false, "409", "<nil>", "<nil>"},
		{"a settle failure alone", nil, nil, settle, nil, false, "<nil>", "not settled", "<nil>"},
		{"the caller's end in the settle is already in its failure", opErr, nil, ended, nil, true, "409", "<nil>", "<nil>"},
		{"a settle failure beside the op's", opErr, nil, settle, nil, false, "409", "not settled", "<nil>"},
		{"gave up, committed and settled: success, the late failure a notice", nil, ended, nil, late, false, "<nil>", "<nil>", "overwritten"},
		{"gave up, not settled: the caller's end and the settle", nil, ended, ended, nil, true, "deadline", "deadline", "<nil>"},
		{"gave up, failed: the op's failure", opErr, ended, nil, nil, false, "409", "<nil>", "<nil>"},
	} {
		op, st, notice := Told("op", tc.err, tc.gaveUp, tc.settled, tc.late, tc.settleEnded)
		if str(op) != tc.wantOp || str(st) != tc.wantSettle || str(notice) != tc.wantNotice {
			t.Errorf("%s: told %v / %v / notice %v", tc.name, op, st, notice)
		}
	}
}
