package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/clocktest"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

// Graph error codes the tests answer with.
const (
	codeResourceNotFound         = "Request_ResourceNotFound"
	codeAuthorizationDenied      = "Authorization_RequestDenied"
	codeConcurrencyViolation     = core.CodeConcurrencyViolation
	codeCannotUpdateEnabledScope = core.CodeCannotUpdateEnabledScope
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"3":                             3 * time.Second,
		" 0 ":                           0,
		"-1":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:00:07 GMT": 7 * time.Second,
		"Wed, 31 Dec 2025 23:59:00 GMT": 0,
	}
	for in, want := range cases {
		if got := retryafter.Parse(in, now); got != want {
			t.Errorf("retryafter.Parse(%q) = %s, want %s", in, got, want)
		}
	}
}

// typed builds the typed error model.ErrorFromResponse would return for the status.
func typed(status int, code, msg string) error {
	base := model.APIError{StatusCode: status, Code: code, Message: msg}
	switch status {
	case http.StatusNotFound:
		return &model.NotFoundError{APIError: base}
	case http.StatusForbidden:
		return &model.ForbiddenError{APIError: base}
	case http.StatusConflict:
		return &model.ConflictError{APIError: base}
	case http.StatusBadRequest:
		return &model.ValidationError{APIError: base}
	}
	return &base
}

const unknownPermissionMsg = "Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found in the AppPermissions sets."

func TestClassify(t *testing.T) {
	notFound := core.Policy{NotFound: core.ReasonNotFoundAfterWrite}
	enabled := core.Policy{ScopeStillEnabled: true}
	cases := []struct {
		name   string
		err    error
		policy core.Policy
		want   core.RetryReason
		retry  bool
	}{
		{"429", typed(429, "TooManyRequests", ""), core.Policy{}, core.ReasonThrottled, true},
		{"500", typed(500, "", ""), core.Policy{}, core.ReasonServerError, true},
		{"502", typed(502, "", ""), core.Policy{}, core.ReasonServerError, true},
		{"503", typed(503, "", ""), core.Policy{}, core.ReasonServerError, true},
		{"504", typed(504, "", ""), core.Policy{}, core.ReasonServerError, true},
		{"501 is final", typed(501, "", ""), core.Policy{}, "", false},
		{"409 concurrency", typed(409, "Directory_ConcurrencyViolation", ""), core.Policy{}, core.ReasonConcurrencyViolation, true},
		{"409 msa app", typed(409, "Error_MsaAppDoesNotExist", ""), core.Policy{}, core.ReasonMsaAppDoesNotExist, true},
		{"409 other is final", typed(409, "Request_MultipleObjectsWithSameKeyValue", ""), core.Policy{}, "", false},
		{"404 without policy is final", typed(404, codeResourceNotFound, ""), core.Policy{}, "", false},
		{"404 with policy", typed(404, codeResourceNotFound, ""), notFound, core.ReasonNotFoundAfterWrite, true},
		{"enabled scope without policy", typed(400, codeCannotUpdateEnabledScope, ""), core.Policy{}, "", false},
		{"enabled scope by code", typed(400, codeCannotUpdateEnabledScope, ""), enabled, core.ReasonScopeStillEnabled, true},
		{"enabled scope by message", typed(400, "Request_BadRequest", "Permission (scope or role) cannot be deleted or updated unless disabled first."), enabled, core.ReasonScopeStillEnabled, true},
		{"unknown permission without policy", typed(400, "Request_BadRequest", unknownPermissionMsg), core.Policy{}, "", false},
		{"unknown permission as lag", typed(400, "Request_BadRequest", unknownPermissionMsg), core.Policy{UnknownPermissionIsLag: true}, core.ReasonScopeNotReplicated, true},
		{"other 400", typed(400, "Request_BadRequest", "Another object with the same value for property identifierUris already exists."), enabled, "", false},
		{"403", typed(403, codeAuthorizationDenied, ""), notFound, "", false},
		{"reset", fmt.Errorf("wrapped: %w", syscall.ECONNRESET), core.Policy{}, core.ReasonNetwork, true},
		{"deadline", context.DeadlineExceeded, core.Policy{}, "", false},
		{"stale", core.ErrStaleRead, core.Policy{}, core.ReasonStaleRead, true},
		{"unknown", errors.New("x509: certificate signed by unknown authority"), core.Policy{}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.policy.Classify(tc.err, isContextEnd(tc.err))
			if got != tc.want || ok != tc.retry {
				t.Fatalf("classify = %q, %v; want %q, %v", got, ok, tc.want, tc.retry)
			}
		})
	}
}

func TestMapError(t *testing.T) {
	odata := func(status int, code, msg, requestID string, headers map[string]string) error {
		h := http.Header{}
		for k, v := range headers {
			h.Set(k, v)
		}
		body := fmt.Sprintf(`{"error":{"code":%q,"message":%q,"innerError":{"request-id":%q}}}`, code, msg, requestID)
		return model.ErrorFromResponse(status, h.Get, []byte(body), time.Now())
	}

	err := odata(404, codeResourceNotFound, "Resource 'x' does not exist", "req-1", nil)
	var nf *model.NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, model.ErrNotFound) || nf.Code != codeResourceNotFound || nf.RequestID != "req-1" {
		t.Fatalf("404 mapped to %#v", err)
	}

	err = odata(403, codeAuthorizationDenied, "Insufficient privileges to complete the operation.", "req-2", nil)
	var fb *model.ForbiddenError
	if !errors.As(err, &fb) || fb.Code != codeAuthorizationDenied || err.Error() != "insufficient privileges: microsoft graph answered 403 "+
		"Authorization_RequestDenied: Insufficient privileges to complete the operation. (request-id req-2)" {
		t.Fatalf("403 mapped to %v", err) // what to grant, per kind of caller: the provider's TestForbiddenSaysWhatToGrant
	}

	err = odata(400, codeCannotUpdateEnabledScope, "Permission (scope or role) cannot be deleted or updated unless disabled first.", "req-3", nil)
	var ve *model.ValidationError
	if !errors.As(err, &ve) || ve.Code != codeCannotUpdateEnabledScope || !strings.Contains(err.Error(), "req-3") {
		t.Fatalf("400 mapped to %v", err)
	}

	err = odata(409, codeConcurrencyViolation, "busy", "", map[string]string{"request-id": "from-header"})
	var ce *model.ConflictError
	if !errors.As(err, &ce) || ce.RequestID != "from-header" {
		t.Fatalf("409 mapped to %#v", err)
	}

	err = odata(429, "TooManyRequests", "slow down", "", map[string]string{"Retry-After": "4"})
	ae, ok := model.AsAPIError(err)
	if !ok || ae.StatusCode != 429 || ae.RetryAfter != 4*time.Second {
		t.Fatalf("429 mapped to %#v", err)
	}

	plain := model.ErrorFromResponse(503, http.Header{}.Get, []byte("no body"), time.Now())
	if ae, ok := model.AsAPIError(plain); !ok || ae.StatusCode != 503 || ae.Message != "no body" {
		t.Fatalf("a non-JSON answer mapped to %v", plain)
	}

	// A transport error reaches the retry policy unchanged.
	c, _ := newRetryTestClient(t)
	other := errors.New("dial tcp: refused")
	if got := c.attempt(context.Background(), 1, func(context.Context) error { return other }); !errors.Is(got, other) || got.Error() != other.Error() {
		t.Fatal("a transport error was changed")
	}
}

func newRetryTestClient(t *testing.T) (*Client, *clocktest.Clock) {
	t.Helper()
	ft := clocktest.New(time.Now()) // real-time based: context deadlines compare with the wall clock
	c := &Client{
		jitter: func() float64 { return 0 }, // no jitter: the waits are Backoff's exact delays
		now:    ft.Now,
		sleep:  ft.Sleep,
		stats:  core.Stats{Retries: make(map[core.RetryReason]int64)},
	}
	return c, ft
}

func TestRetry_HonoursRetryAfterAndCounts(t *testing.T) {
	c, ft := newRetryTestClient(t)
	calls := 0
	err := c.retry(context.Background(), callPolicy{what: "GET x"}, func(ctx context.Context) error {
		calls++
		if attemptFrom(ctx) != calls {
			t.Errorf("attempt in context = %d, want %d", attemptFrom(ctx), calls)
		}
		switch calls {
		case 1:
			return &model.APIError{StatusCode: 429, Code: "TooManyRequests", RetryAfter: 3 * time.Second}
		case 2:
			return typed(409, codeConcurrencyViolation, "")
		case 3:
			return typed(503, "", "")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{3 * time.Second, 200 * time.Millisecond, 400 * time.Millisecond}
	if fmt.Sprint(ft.Waits()) != fmt.Sprint(want) {
		t.Fatalf("sleeps = %v, want %v", ft.Waits(), want)
	}
	st := c.Stats()
	if st.Retries[core.ReasonThrottled] != 1 || st.Retries[core.ReasonConcurrencyViolation] != 1 || st.Retries[core.ReasonServerError] != 1 || st.TotalRetries() != 3 {
		t.Fatalf("retries = %v", st.Retries)
	}
}

func TestRetry_FinalErrorIsNotRetried(t *testing.T) {
	c, ft := newRetryTestClient(t)
	calls := 0
	err := c.retry(context.Background(), callPolicy{what: "PATCH x"}, func(context.Context) error {
		calls++
		return typed(400, "Request_BadRequest", "bad")
	})
	var ve *model.ValidationError
	if !errors.As(err, &ve) || calls != 1 || len(ft.Waits()) != 0 {
		t.Fatalf("err=%v calls=%d sleeps=%v", err, calls, ft.Waits())
	}
}

func TestRetry_StopsBeforeTheDeadline(t *testing.T) {
	c, ft := newRetryTestClient(t)
	ctx, cancel := context.WithDeadline(context.Background(), ft.Now().Add(time.Second))
	defer cancel()
	calls := 0
	err := c.retry(ctx, callPolicy{what: "GET x"}, func(context.Context) error {
		calls++
		return typed(503, "", "")
	})
	// Delays 100+200+400 ms fit in the second; the next (800 ms) would not.
	if calls != 4 || !strings.Contains(err.Error(), "would pass the deadline") || !strings.Contains(err.Error(), "giving up after 4 attempts") {
		t.Fatalf("calls=%d err=%v", calls, err)
	}
	if ae, ok := model.AsAPIError(err); !ok || ae.StatusCode != 503 {
		t.Fatalf("the last Graph error is not wrapped: %v", err)
	}
}

func TestRetry_NotFoundWindow(t *testing.T) {
	c, ft := newRetryTestClient(t)
	start := ft.Now()
	calls := 0
	err := c.retry(context.Background(), callPolicy{what: "GET x", Policy: core.Policy{NotFound: core.ReasonNotFoundFirstLookup, NotFoundWindow: 700 * time.Millisecond}},
		func(context.Context) error {
			calls++
			return typed(404, codeResourceNotFound, "")
		})
	if !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	// 100+200+400 = 700 ms: the window is used up after the fourth attempt.
	if calls != 4 || ft.Now().Sub(start) != 700*time.Millisecond {
		t.Fatalf("calls=%d elapsed=%s", calls, ft.Now().Sub(start))
	}
	if c.Stats().Retries[core.ReasonNotFoundFirstLookup] != 3 {
		t.Fatalf("retries = %v", c.Stats().Retries)
	}
}

func TestRetry_NetworkAttemptsAreBounded(t *testing.T) {
	c, _ := newRetryTestClient(t)
	calls := 0
	err := c.retry(context.Background(), callPolicy{what: "GET x"}, func(context.Context) error {
		calls++
		return fmt.Errorf("read: %w", syscall.ECONNRESET)
	})
	if !errors.Is(err, syscall.ECONNRESET) || calls != core.MaxNetworkAttempts {
		t.Fatalf("calls=%d err=%v", calls, err)
	}
}

func TestRetry_DeadlineDuringAnAttemptSaysWhatWasRetried(t *testing.T) {
	for name, last := range map[string]error{
		"conflict":  typed(409, codeConcurrencyViolation, "Another update is in progress."),
		"not found": typed(404, codeResourceNotFound, "gone for now"),
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := newRetryTestClient(t)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			var told []error
			calls := 0
			err := c.retry(ctx, callPolicy{what: "PATCH x", Policy: core.Policy{NotFound: core.ReasonNotFoundAfterWrite, NotFoundWindow: time.Hour},
				onRetry: func(err error) { told = append(told, err) }},
				func(ctx context.Context) error {
					calls++
					if calls == 1 {
						return last
					}
					cancel(context.DeadlineExceeded) // the deadline passes while the second attempt waits
					return fmt.Errorf("sending: %w", ctx.Err())
				})
			var rt *model.RetryTimeoutError
			if !errors.As(err, &rt) || !errors.Is(err, context.Canceled) || !errors.Is(rt.Last, last) {
				t.Fatalf("err = %v, want the context's end with the retried %v", err, last)
			}
			if errors.Is(err, model.ErrNotFound) {
				t.Fatalf("a timeout while retrying a 404 reads as not found: %v", err)
			}
			if !strings.Contains(err.Error(), "the last attempt before it had failed") || !strings.Contains(err.Error(), last.Error()) {
				t.Fatalf("message = %q", err)
			}
			if len(told) != 1 || !errors.Is(told[0], last) {
				t.Fatalf("onRetry told %v", told)
			}
		})
	}
}

func TestRetry_ContextEndWithNothingRetriedIsTheContextsError(t *testing.T) {
	c, _ := newRetryTestClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := c.retry(ctx, callPolicy{what: "GET x"}, func(ctx context.Context) error {
		cancel()
		return ctx.Err()
	})
	var rt *model.RetryTimeoutError
	if !errors.Is(err, context.Canceled) || errors.As(err, &rt) {
		t.Fatalf("err = %v", err)
	}
}
