package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
)

// This file is the package's one retry policy. kiota-http-go's default middleware includes a
// RetryHandler for 429/503/504; the client builds its middleware list without it (see
// newRequestAdapter), so every retry — replication lag, 409 bursts, throttling, 5xx — is decided,
// bounded, counted and logged here.

// RetryReason names why a call was repeated (core/retry.go); Stats counts retries by reason.
type RetryReason = core.RetryReason

// Backoff configures the exponential backoff between attempts (core/retry.go).
type Backoff = core.Backoff

// pollDelay is the pause before confirmation read number misses+1.
func (c *Client) pollDelay(misses int) time.Duration {
	return c.cfg.Backoff.PollDelay(misses, c.random())
}

// fitsDeadline reports whether a wait of d ends before ctx's deadline.
func (c *Client) fitsDeadline(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || !c.now().Add(d).After(deadline)
}

// leaderGaveUp reports whether err, the outcome of a call shared with other callers (one GET, one
// lookup), is only its leader's context ending while ctx is still live: the follower calls again.
func leaderGaveUp(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// errStaleRead marks a read that is older than what this process already confirmed.
var errStaleRead = errors.New("the read is older than changes this process already confirmed")

// callPolicy is the retry policy of one call (core.Policy) with what the driver needs besides.
type callPolicy struct {
	core.Policy
	// what names the call in logs and errors, such as "GET /applications/{id}".
	what string
	// onRetry, when set, is told each failure that is about to be retried.
	onRetry func(err error)
}

// failureOf describes err, an attempt's failure, as the retry policy sees it (core.Failure).
func failureOf(err error) core.Failure {
	if errors.Is(err, errStaleRead) {
		return core.Failure{Stale: true}
	}
	if e, ok := graphDetails(err); ok {
		return core.Failure{Answered: true, Status: e.StatusCode, Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter}
	}
	if errors.Is(err, errRequestTimeout) {
		return core.Failure{Timeout: true}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.Failure{}
	}
	return core.Failure{Network: errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || isTransportFailure(err)}
}

// errRequestTimeout marks an attempt abandoned after Config.RequestTimeout.
var errRequestTimeout = errors.New("no answer within the per-request timeout")

// isTransportFailure reports whether err is a failure of the connection rather than an answer: a
// reset stream or a connection closed mid-answer. Certificate and name-resolution failures are not:
// sending again cannot fix them.
func isTransportFailure(err error) bool {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return false
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var dns *net.DNSError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &dns) {
		return false
	}
	msg := strings.ToLower(ue.Err.Error())
	for _, part := range []string{"stream error", "connection reset", "broken pipe", "server sent goaway",
		"client connection lost", "connection closed", "use of closed network connection"} {
		if strings.Contains(msg, part) {
			return true
		}
	}
	return false
}

// attemptKey carries the attempt number to the transport for logging.
type attemptKey struct{}

func attemptFrom(ctx context.Context) int {
	if n, ok := ctx.Value(attemptKey{}).(int); ok {
		return n
	}
	return 1
}

// retry runs fn until it succeeds, fails with an error the policy says is final, or the next delay
// would pass ctx's deadline. Each attempt gets its number in the context (for logs). The last
// error is returned, wrapped with the number of attempts when more than one was made; when ctx
// ended during an attempt or a wait, with the failure that was being retried (RetryTimeoutError).
func (c *Client) retry(ctx context.Context, p callPolicy, fn func(ctx context.Context) error) error {
	a := core.Attempts{Start: c.now()}
	var retried error // the failure the current attempt repeats
	for {
		a.N++
		err := c.attempt(ctx, a.N, fn)
		if err == nil {
			return nil
		}
		var forbidden *ForbiddenError
		if errors.As(err, &forbidden) {
			forbidden.Caller = c.cfg.Caller
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return giveUp(p, a.N, timedOutRetrying(err, retried))
		}
		deadline, _ := ctx.Deadline()
		next := p.Next(&a, failureOf(err), c.now(), deadline, c.cfg.Backoff, c.random())
		if next.PastDeadline {
			return giveUp(p, a.N, fmt.Errorf("the next retry (in %s) would pass the deadline: %w", next.Wait.Round(time.Millisecond), err))
		}
		if !next.Again {
			return giveUp(p, a.N, err)
		}
		c.stats.addRetry(next.Reason)
		fields := map[string]any{"call": p.what, "attempt": a.N, "retry_reason": string(next.Reason), "retry_in_ms": next.Wait.Milliseconds()}
		if e, ok := graphDetails(err); ok {
			fields["status"] = e.StatusCode
			fields["code"] = e.Code
			fields["request_id"] = e.RequestID
		}
		c.logWarn(ctx, "retrying Microsoft Graph call", fields)
		retried = err
		if p.onRetry != nil {
			p.onRetry(err)
		}
		if err := c.sleep(ctx, next.Wait); err != nil {
			return giveUp(p, a.N, timedOutRetrying(err, retried))
		}
	}
}

// attempt runs fn once under the per-request timeout. An attempt that times out while ctx is
// still live fails with errRequestTimeout, which is retried.
func (c *Client) attempt(ctx context.Context, n int, fn func(ctx context.Context) error) error {
	actx := context.WithValue(ctx, attemptKey{}, n)
	if c.cfg.RequestTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(actx, c.cfg.RequestTimeout)
		defer cancel()
	}
	err := mapError(fn(actx))
	// A deadline that is not ctx's is the per-request one (a PATCH runs on a detached context with
	// the same bound, whose timer may fire first).
	if err != nil && ctx.Err() == nil && (actx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("%w (%s): %w", errRequestTimeout, c.cfg.RequestTimeout, err)
	}
	return err
}

func giveUp(p callPolicy, attempts int, err error) error {
	if attempts == 1 {
		return err
	}
	return fmt.Errorf("%s: giving up after %d attempts: %w", p.what, attempts, err)
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
