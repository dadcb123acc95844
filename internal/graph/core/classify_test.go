package core

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// An attempt's failure as the policy sees it (Classify under no window), one row each.
func TestClassifyFailures(t *testing.T) {
	get := func(err error) error { return &url.Error{Op: "Get", URL: "https://graph.example.com/v1.0/x", Err: err} }
	throttled := &model.APIError{StatusCode: 429, Code: "TooManyRequests", RetryAfter: 2 * time.Second}
	for _, tc := range []struct {
		name  string
		err   error
		ended bool
		want  RetryReason // "": final
	}{
		{"a stale read", fmt.Errorf("read: %w", ErrStaleRead), false, ReasonStaleRead},
		{"Graph's answer", fmt.Errorf("x: %w", throttled), false, ReasonThrottled},
		{"Graph's answer, though it came late", fmt.Errorf("%w: %w", ErrRequestTimeout, throttled), false, ReasonThrottled},
		{"no answer in time", fmt.Errorf("%w: %w", ErrRequestTimeout, errors.New("deadline")), false, ReasonRequestTimeout},
		{"a reset connection", fmt.Errorf("read: %w", syscall.ECONNRESET), false, ReasonNetwork},
		{"a body cut short", io.ErrUnexpectedEOF, false, ReasonNetwork},
		{"a reset HTTP/2 stream", get(errors.New("stream error: stream ID 3; INTERNAL_ERROR")), false, ReasonNetwork},
		{"a certificate nobody trusts", get(x509.UnknownAuthorityError{}), false, ""},
		{"a name that does not resolve", get(&net.DNSError{Err: "no such host", Name: "graph.example.com"}), false, ""},
		{"the caller's context ended", get(errors.New("connection reset by peer")), true, ""},
		{"anything else", errors.New("boom"), false, ""},
	} {
		if got, ok := (Policy{}).Classify(tc.err, tc.ended); got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: Classify = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}
