package lkps

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"syscall"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

// RetryPolicy bounds the retries of the Client. Which failures are retried depends on the operation (see
// retryClass); the policy only says how often and how long to wait. Zero fields take the defaults of
// DefaultRetryPolicy, except Jitter, where zero means no jitter.
type RetryPolicy struct {
	// MaxAttempts is the maximum number of requests per operation, including the first (default 5).
	// Set it to 1 to disable retries.
	MaxAttempts int
	// BaseDelay is the wait before the second attempt; each further wait doubles it (default 500ms).
	BaseDelay time.Duration
	// MaxDelay caps one backoff wait (default 8s).
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client honours; a longer one ends the retries
	// (default 60s).
	MaxRetryAfter time.Duration
	// Jitter is the fraction (0 to 1) by which a backoff wait is randomly shortened, so parallel
	// callers spread out. Retry-After waits are never shortened.
	Jitter float64
	// Sleep waits for d or until ctx ends; nil uses a timer. Tests inject a fake.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now returns the current time for deadline arithmetic; nil uses time.Now. Tests inject a fake.
	Now func() time.Time
}

// DefaultRetryPolicy returns the policy used when Config.Retry is nil.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:   5,
		BaseDelay:     500 * time.Millisecond,
		MaxDelay:      8 * time.Second,
		MaxRetryAfter: 60 * time.Second,
		Jitter:        0.2,
	}
}

// withDefaults fills zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.Jitter < 0 {
		p.Jitter = 0
	}
	if p.Jitter > 1 {
		p.Jitter = 1
	}
	if p.Sleep == nil {
		p.Sleep = sleepContext
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// sleepContext waits for d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is the wait after the given failed attempt (1-based): BaseDelay·2^(attempt-1), capped at
// MaxDelay, shortened by up to Jitter.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	if d > p.MaxDelay {
		d = p.MaxDelay
	}
	if p.Jitter > 0 {
		d -= time.Duration(rand.Float64() * p.Jitter * float64(d)) //nolint:gosec // jitter needs no cryptographic randomness.
	}
	return d
}

// retryClass says which failures an operation may retry. This is the one place that decides it.
type retryClass int

const (
	// retryIdempotent is for operations that are safe to repeat (register is an upsert keyed by the
	// caller; health reads): 429, 502, 503, 504 and transport failures are retried.
	retryIdempotent retryClass = iota + 1
	// retryUnprocessed is for operations that must not run twice (session start creates a session):
	// only answers that mean the server did not process the request (429, and 503 with Retry-After)
	// and refused connections are retried.
	retryUnprocessed
)

// retryStatus reports whether a response with status and header may be retried for class.
func retryStatus(class retryClass, status int, header http.Header) bool {
	switch class {
	case retryIdempotent:
		switch status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	case retryUnprocessed:
		switch status {
		case http.StatusTooManyRequests:
			return true
		case http.StatusServiceUnavailable:
			return header.Get(headerRetryAfter) != ""
		}
	}
	return false
}

// retryTransport reports whether a transport error (no response) may be retried for class.
func retryTransport(class retryClass, err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if auth.PermanentTransportFailure(err) {
		return false
	}
	switch class {
	case retryIdempotent:
		return true
	case retryUnprocessed:
		// Only a refused connection proves the request was never delivered.
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	return false
}

// parseRetryAfter reads Retry-After (seconds, decimal seconds or an HTTP date, at most a day) relative to
// now; 0 when absent or invalid.
func parseRetryAfter(value string, now time.Time) time.Duration { return retryafter.Parse(value, now) }
