package core

import (
	"errors"
	"fmt"
	"testing"
)

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
