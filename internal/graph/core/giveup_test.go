package core

import (
	"errors"
	"testing"
	"time"
)

func TestGivingUp(t *testing.T) {
	last := errors.New("503")
	for _, tc := range []struct {
		name string
		got  error
		want string
	}{
		{"one attempt: the failure itself", GaveUp("GET x", 1, last), "503"},
		{"several: the call and the count", GaveUp("GET x", 4, last), "GET x: giving up after 4 attempts: 503"},
		{"final failure", Retry{Reason: ReasonServerError}.Final(last), "503"},
		{"past the deadline", Retry{Wait: 1234 * time.Microsecond, PastDeadline: true}.Final(last), "the next retry (in 1ms) would pass the deadline: 503"},
	} {
		if tc.got.Error() != tc.want || !errors.Is(tc.got, last) {
			t.Errorf("%s: %q, want %q wrapping the failure", tc.name, tc.got, tc.want)
		}
	}
}
