package core

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond,
		6: 3200 * time.Millisecond, 7: 5 * time.Second, 60: 5 * time.Second} {
		if got := Backoff(attempt, 0); got != want {
			t.Errorf("Backoff(%d, 0) = %s, want %s", attempt, got, want)
		}
		if got := Backoff(attempt, 0.999999); got < want/2 || got > want {
			t.Errorf("Backoff(%d, ~1) = %s, want within [%s, %s]", attempt, got, want/2, want)
		}
	}
}

// Each rule of the retry policy is one row: a failure, the history of the call, and the decision
// (final: the call ends, with the failure).
func TestNext(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	notFound := Policy{NotFound: ReasonNotFoundAfterWrite, NotFoundWindow: 2 * time.Second}
	stale := Policy{StaleWindow: 6 * time.Second, ScopeStillEnabled: true}
	answer := func(status int, code string) error { return &model.APIError{StatusCode: status, Code: code} }
	cases := []struct {
		name     string
		policy   Policy
		err      error
		call     Call
		elapsed  time.Duration
		deadline time.Duration // from now; zero: none
		reason   RetryReason
		wait     time.Duration
		final    bool
	}{
		{"429 waits Retry-After", Policy{}, &model.APIError{StatusCode: 429, RetryAfter: 3 * time.Second}, Call{N: 1}, 0, 0,
			ReasonThrottled, 3 * time.Second, false},
		{"503 backs off exponentially", Policy{}, answer(503, ""), Call{N: 3}, 0, 0, ReasonServerError, 400 * time.Millisecond, false},
		{"409 concurrency violation", Policy{}, answer(409, CodeConcurrencyViolation), Call{N: 1}, 0, 0,
			ReasonConcurrencyViolation, 100 * time.Millisecond, false},
		{"501 is final", Policy{}, answer(501, ""), Call{N: 1}, 0, 0, "", 0, true},
		{"404 without a window is final", Policy{}, answer(404, "Request_ResourceNotFound"), Call{N: 1}, 0, 0, "", 0, true},
		{"404 within its window", notFound, answer(404, "Request_ResourceNotFound"), Call{N: 1}, time.Second, 0,
			ReasonNotFoundAfterWrite, 100 * time.Millisecond, false},
		{"404 past its window", notFound, answer(404, "Request_ResourceNotFound"), Call{N: 5}, 2 * time.Second, 0,
			ReasonNotFoundAfterWrite, 0, true},
		{"stale read within its window", stale, ErrStaleRead, Call{N: 1}, 5 * time.Second, 0, ReasonStaleRead, 100 * time.Millisecond, false},
		{"scope still enabled past the stale window", stale, answer(400, CodeCannotUpdateEnabledScope), Call{N: 2}, 6 * time.Second, 0,
			ReasonScopeStillEnabled, 0, true},
		{"second network failure", Policy{}, syscall.ECONNRESET, Call{N: 2, Network: 1}, 0, 0, ReasonNetwork, 200 * time.Millisecond, false},
		{"network failures are bounded", Policy{}, syscall.ECONNRESET, Call{N: 3, Network: MaxNetworkAttempts - 1}, 0, 0,
			ReasonNetwork, 0, true},
		{"request timeout", Policy{}, ErrRequestTimeout, Call{N: 1}, 0, 0, ReasonRequestTimeout, 100 * time.Millisecond, false},
		{"anything else is final", Policy{}, errors.New("boom"), Call{N: 1}, 0, 0, "", 0, true},
		{"a wait past the deadline", Policy{}, &model.APIError{StatusCode: 429, RetryAfter: 10 * time.Second}, Call{N: 1}, 0, 5 * time.Second,
			ReasonThrottled, 10 * time.Second, true},
		{"a wait ending at the deadline", Policy{}, answer(503, ""), Call{N: 1}, 0, 100 * time.Millisecond,
			ReasonServerError, 100 * time.Millisecond, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := start.Add(tc.elapsed)
			var deadline time.Time
			if tc.deadline > 0 {
				deadline = now.Add(tc.deadline)
			}
			c := tc.call
			c.Start = start
			reason, wait, final := tc.policy.Next(&c, tc.err, false, now, deadline, 0)
			if reason != tc.reason || wait != tc.wait || (final != nil) != tc.final || (tc.final && !errors.Is(final, tc.err)) {
				t.Fatalf("Next = %q, %s, %v; want reason %q, wait %s, final %v (wrapping the failure)", reason, wait, final, tc.reason, tc.wait, tc.final)
			}
		})
	}
}

func TestPollDelayIsCapped(t *testing.T) {
	if got := PollDelay(1, 0); got != 100*time.Millisecond {
		t.Errorf("first poll delay = %s, want 100ms", got)
	}
	if got := PollDelay(10, 0); got != MaxConfirmWait {
		t.Errorf("tenth poll delay = %s, want the cap %s", got, MaxConfirmWait)
	}
}

// A PATCH retries the two replication-lag refusals, the permission one only when the body grants
// scopes the application has, each for OverwriteAfter.
func TestWritePolicy(t *testing.T) {
	l := Lag{Declared: 3 * time.Second}
	enabled := &model.APIError{StatusCode: 400, Code: CodeCannotUpdateEnabledScope}
	unknown := &model.APIError{StatusCode: 400, Message: "Permission Id that cannot be found"}
	for _, tc := range []struct {
		name        string
		grantsKnown bool
		err         error
		want        bool
	}{
		{"scope still enabled", false, enabled, true},
		{"unknown permission, granted scopes known", true, unknown, true},
		{"unknown permission, a scope the application lacks", false, unknown, false},
	} {
		p := l.WritePolicy(tc.grantsKnown)
		if _, got := p.Classify(tc.err, false); got != tc.want || p.StaleWindow != l.OverwriteAfter() {
			t.Errorf("%s: retried %v, window %s; want %v, %s", tc.name, got, p.StaleWindow, tc.want, l.OverwriteAfter())
		}
	}
}

func TestGivingUp(t *testing.T) {
	last, now := errors.New("503"), time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	throttled := &model.APIError{StatusCode: 429, RetryAfter: 1234 * time.Microsecond}
	final := func(err error, deadline time.Time) error {
		_, _, final := Policy{}.Next(&Call{N: 1}, err, false, now, deadline, 0)
		return final
	}
	for _, tc := range []struct {
		name  string
		got   error
		cause error
		want  string
	}{
		{"one attempt: the failure itself", (&Call{What: "GET x", N: 1}).GaveUp(last), last, "503"},
		{"several: the call and the count", (&Call{What: "GET x", N: 4}).GaveUp(last), last, "GET x: giving up after 4 attempts: 503"},
		{"final failure", final(last, time.Time{}), last, "503"},
		{"past the deadline", final(throttled, now), throttled,
			"the next retry (in 1ms) would pass the deadline: microsoft graph answered 429"},
	} {
		if tc.got.Error() != tc.want || !errors.Is(tc.got, tc.cause) {
			t.Errorf("%s: %q, want %q wrapping the failure", tc.name, tc.got, tc.want)
		}
	}
}
