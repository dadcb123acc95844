package core

import (
	"errors"
	"testing"
	"time"
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

// Each rule of the retry policy is one row: a failure, the history of the call, and the decision.
func TestNext(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	notFound := Policy{NotFound: ReasonNotFoundAfterWrite, NotFoundWindow: 2 * time.Second}
	stale := Policy{StaleWindow: 6 * time.Second, ScopeStillEnabled: true}
	answer := func(status int, code string) Failure { return Failure{Answered: true, Status: status, Code: code} }
	cases := []struct {
		name     string
		policy   Policy
		f        Failure
		attempts Attempts
		elapsed  time.Duration
		deadline time.Duration // from now; zero: none
		want     Retry
	}{
		{"429 waits Retry-After", Policy{}, Failure{Answered: true, Status: 429, RetryAfter: 3 * time.Second}, Attempts{N: 1}, 0, 0,
			Retry{Reason: ReasonThrottled, Wait: 3 * time.Second, Again: true}},
		{"503 backs off exponentially", Policy{}, answer(503, ""), Attempts{N: 3}, 0, 0,
			Retry{Reason: ReasonServerError, Wait: 400 * time.Millisecond, Again: true}},
		{"409 concurrency violation", Policy{}, answer(409, CodeConcurrencyViolation), Attempts{N: 1}, 0, 0,
			Retry{Reason: ReasonConcurrencyViolation, Wait: 100 * time.Millisecond, Again: true}},
		{"501 is final", Policy{}, answer(501, ""), Attempts{N: 1}, 0, 0, Retry{}},
		{"404 without a window is final", Policy{}, answer(404, "Request_ResourceNotFound"), Attempts{N: 1}, 0, 0, Retry{}},
		{"404 within its window", notFound, answer(404, "Request_ResourceNotFound"), Attempts{N: 1}, time.Second, 0,
			Retry{Reason: ReasonNotFoundAfterWrite, Wait: 100 * time.Millisecond, Again: true}},
		{"404 past its window", notFound, answer(404, "Request_ResourceNotFound"), Attempts{N: 5}, 2 * time.Second, 0,
			Retry{Reason: ReasonNotFoundAfterWrite}},
		{"stale read within its window", stale, Failure{Stale: true}, Attempts{N: 1}, 5 * time.Second, 0,
			Retry{Reason: ReasonStaleRead, Wait: 100 * time.Millisecond, Again: true}},
		{"scope still enabled past the stale window", stale, answer(400, CodeCannotUpdateEnabledScope), Attempts{N: 2}, 6 * time.Second, 0,
			Retry{Reason: ReasonScopeStillEnabled}},
		{"second network failure", Policy{}, Failure{Network: true}, Attempts{N: 2, Network: 1}, 0, 0,
			Retry{Reason: ReasonNetwork, Wait: 200 * time.Millisecond, Again: true}},
		{"network failures are bounded", Policy{}, Failure{Network: true}, Attempts{N: 3, Network: MaxNetworkAttempts - 1}, 0, 0,
			Retry{Reason: ReasonNetwork}},
		{"request timeout", Policy{}, Failure{Timeout: true}, Attempts{N: 1}, 0, 0,
			Retry{Reason: ReasonRequestTimeout, Wait: 100 * time.Millisecond, Again: true}},
		{"a context's end is final", Policy{}, Failure{}, Attempts{N: 1}, 0, 0, Retry{}},
		{"a wait past the deadline", Policy{}, Failure{Answered: true, Status: 429, RetryAfter: 10 * time.Second}, Attempts{N: 1}, 0, 5 * time.Second,
			Retry{Reason: ReasonThrottled, Wait: 10 * time.Second, PastDeadline: true}},
		{"a wait ending at the deadline", Policy{}, answer(503, ""), Attempts{N: 1}, 0, 100 * time.Millisecond,
			Retry{Reason: ReasonServerError, Wait: 100 * time.Millisecond, Again: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := start.Add(tc.elapsed)
			var deadline time.Time
			if tc.deadline > 0 {
				deadline = now.Add(tc.deadline)
			}
			a := tc.attempts
			a.Start = start
			if got := tc.policy.Next(&a, tc.f, now, deadline, 0); got != tc.want {
				t.Fatalf("Next = %+v, want %+v", got, tc.want)
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
	l := Lag{Declared: 3 * time.Second, WriteReuse: time.Second}
	enabled := Failure{Answered: true, Status: 400, Code: CodeCannotUpdateEnabledScope}
	unknown := Failure{Answered: true, Status: 400, Message: "Permission Id that cannot be found"}
	for _, tc := range []struct {
		name        string
		grantsKnown bool
		f           Failure
		want        bool
	}{
		{"scope still enabled", false, enabled, true},
		{"unknown permission, granted scopes known", true, unknown, true},
		{"unknown permission, a scope the application lacks", false, unknown, false},
	} {
		p := l.WritePolicy(tc.grantsKnown)
		if _, got := p.Classify(tc.f); got != tc.want || p.StaleWindow != l.OverwriteAfter() {
			t.Errorf("%s: retried %v, window %s; want %v, %s", tc.name, got, p.StaleWindow, tc.want, l.OverwriteAfter())
		}
	}
}

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
