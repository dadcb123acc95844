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

// An attempt's failure as the policy sees it, one row each.
func TestFailureOf(t *testing.T) {
	get := func(err error) error { return &url.Error{Op: "Get", URL: "https://graph.example.com/v1.0/x", Err: err} }
	throttled := &model.APIError{StatusCode: 429, Code: "TooManyRequests", RetryAfter: 2 * time.Second}
	for _, tc := range []struct {
		name  string
		err   error
		ended bool
		want  Failure
	}{
		{"a stale read", fmt.Errorf("read: %w", ErrStaleRead), false, Failure{Stale: true}},
		{"Graph's answer", fmt.Errorf("x: %w", throttled), false, Failure{Answered: true, Status: 429, Code: "TooManyRequests", RetryAfter: 2 * time.Second}},
		{"no answer in time", fmt.Errorf("%w: %w", ErrRequestTimeout, errors.New("deadline")), false, Failure{Timeout: true}},
		{"a reset connection", fmt.Errorf("read: %w", syscall.ECONNRESET), false, Failure{Network: true}},
		{"a body cut short", io.ErrUnexpectedEOF, false, Failure{Network: true}},
		{"a reset HTTP/2 stream", get(errors.New("stream error: stream ID 3; INTERNAL_ERROR")), false, Failure{Network: true}},
		{"a certificate nobody trusts", get(x509.UnknownAuthorityError{}), false, Failure{}},
		{"a name that does not resolve", get(&net.DNSError{Err: "no such host", Name: "graph.example.com"}), false, Failure{}},
		{"the caller's context ended", get(errors.New("connection reset by peer")), true, Failure{}},
		{"anything else", errors.New("boom"), false, Failure{}},
	} {
		if got := FailureOf(tc.err, tc.ended); got != tc.want {
			t.Errorf("%s: FailureOf = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
