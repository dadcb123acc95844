package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// This file is the package's one retry policy. kiota-http-go's default middleware includes a
// RetryHandler for 429/503/504; the client builds its middleware list without it (see
// newRequestAdapter), so every retry — replication lag, 409 bursts, throttling, 5xx — is decided,
// bounded, counted and logged here.

// RetryReason names why a call was repeated; Stats counts retries by reason.
type RetryReason string

// Retry reasons.
const (
	// ReasonThrottled is a 429 answer; the delay honours Retry-After.
	ReasonThrottled RetryReason = "throttled"
	// ReasonServerError is a 500, 502, 503 or 504 answer.
	ReasonServerError RetryReason = "server_error"
	// ReasonConcurrencyViolation is Graph's Directory_ConcurrencyViolation (a 409 under bursts).
	ReasonConcurrencyViolation RetryReason = "concurrency_violation"
	// ReasonMsaAppDoesNotExist is Graph's Error_MsaAppDoesNotExist (409 while an application replicates).
	ReasonMsaAppDoesNotExist RetryReason = "msa_app_does_not_exist"
	// ReasonNotFoundAfterWrite is a 404 for an application this process wrote to: a replica behind.
	ReasonNotFoundAfterWrite RetryReason = "not_found_after_write"
	// ReasonNotFoundFirstLookup is a 404 on the first lookups of an application, retried briefly.
	ReasonNotFoundFirstLookup RetryReason = "not_found_first_lookup"
	// ReasonScopeStillEnabled is CannotDeleteOrUpdateEnabledEntitlement after a confirmed disable: a
	// replica that missed it.
	ReasonScopeStillEnabled RetryReason = "scope_still_enabled"
	// ReasonScopeNotReplicated is Graph's 400 "Permission Id that cannot be found" for scopes this
	// process read or created: the replica checking the PATCH has not seen the scope yet.
	ReasonScopeNotReplicated RetryReason = "scope_not_replicated"
	// ReasonStaleRead is a read older than what this process already confirmed (read-your-writes).
	ReasonStaleRead RetryReason = "stale_read"
	// ReasonVerifyOnFreshRead is a read made to answer without a write an op newer than the read.
	ReasonVerifyOnFreshRead RetryReason = "verify_on_fresh_read"
	// ReasonRebuiltResend is a resend rebuilt on a fresh read (its base was older than WriteReuse).
	ReasonRebuiltResend RetryReason = "rebuilt_resend"
	// ReasonFreshBase is a write's first read waiting for freshFrom (what earlier commands reported).
	ReasonFreshBase RetryReason = "fresh_base"
	// ReasonConfirmAbsence is a re-read before reporting a scope or pre-authorization missing.
	ReasonConfirmAbsence RetryReason = "confirm_absence"
	// ReasonNetwork is a dropped connection or stream reset; a write may have taken effect (safe: every
	// write states whole collections).
	ReasonNetwork RetryReason = "network"
	// ReasonNotYetVisible is a confirmation read that did not show the write yet (a replica behind).
	ReasonNotYetVisible RetryReason = "not_yet_visible"
	// ReasonSettle is a wait of the process's last operation for its writes to replicate (settle.go).
	ReasonSettle RetryReason = "settle"
	// ReasonRequestTimeout is a request with no answer within Config.RequestTimeout, sent again.
	ReasonRequestTimeout RetryReason = "request_timeout"
)

// maxConfirmWait caps the pause after a confirmation read that did not show the write yet.
const maxConfirmWait = time.Second

// pollDelay is the pause before confirmation read number misses+1.
func (c *Client) pollDelay(misses int) time.Duration {
	return min(c.cfg.Backoff.delay(misses, c.random()), maxConfirmWait)
}

// fitsDeadline reports whether a wait of d ends before ctx's deadline.
func (c *Client) fitsDeadline(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || !c.now().Add(d).After(deadline)
}

// mayReapply reports whether a change another writer overwrote may be applied again after done
// re-applications.
func (c *Client) mayReapply(done int) bool { return done < c.cfg.MaxReapply }

// leaderGaveUp reports whether err, the outcome of a call shared with other callers (one GET, one
// lookup), is only its leader's context ending while ctx is still live: the follower calls again.
func leaderGaveUp(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// maxRebuilds bounds how often one op is rebuilt on a new read after Graph refused its change as
// built on an older state.
const maxRebuilds = 3

// maxNetworkAttempts bounds retries of transport failures: a refused connection or a reset is
// worth a second try, a wrong endpoint is not worth minutes.
const maxNetworkAttempts = 3

// Backoff configures the exponential backoff between attempts.
type Backoff struct {
	// Initial is the delay before the first retry (default 100 ms).
	Initial time.Duration
	// Max caps a single delay (default 5 s). A longer Retry-After is still honoured.
	Max time.Duration
	// Multiplier grows the delay per attempt (default 2).
	Multiplier float64
	// Jitter is the fraction of each delay that is randomized, 0 to 1: the delay is drawn
	// uniformly from [d*(1-Jitter), d]. A zero Backoff gets 0.5; otherwise 0 means no jitter.
	Jitter float64
}

func (b Backoff) withDefaults() Backoff {
	if b == (Backoff{}) {
		b.Jitter = 0.5
	}
	if b.Initial <= 0 {
		b.Initial = 100 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Second
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Multiplier < 1 {
		b.Multiplier = 2
	}
	b.Jitter = min(max(b.Jitter, 0), 1)
	return b
}

// delay returns the wait before retry number attempt (1-based); r is a uniform random number in
// [0, 1).
func (b Backoff) delay(attempt int, r float64) time.Duration {
	d := float64(b.Initial) * math.Pow(b.Multiplier, float64(attempt-1))
	if d > float64(b.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(b.Max)
	}
	d -= d * b.Jitter * r
	return time.Duration(d)
}

// errStaleRead marks a read that is older than what this process already confirmed.
var errStaleRead = errors.New("the read is older than changes this process already confirmed")

// callPolicy says which failures of one call are worth repeating.
type callPolicy struct {
	// what names the call in logs and errors, such as "GET /applications/{id}".
	what string
	// notFound is the reason recorded for a 404; empty means a 404 is final.
	notFound RetryReason
	// notFoundWindow bounds how long 404 answers are retried, from the first attempt.
	notFoundWindow time.Duration
	// scopeStillEnabled makes CannotDeleteOrUpdateEnabledEntitlement retryable.
	scopeStillEnabled bool
	// unknownPermissionIsLag makes the "Permission Id that cannot be found" answer retryable: the
	// body references only scopes the application has.
	unknownPermissionIsLag bool
	// staleWindow bounds how long errStaleRead and the two replication-lag 400 answers are retried.
	staleWindow time.Duration
	// onRetry, when set, is told each failure that is about to be retried.
	onRetry func(err error)
}

// classify returns the retry reason of err, or false when err is final under the policy.
func classify(err error, p callPolicy) (RetryReason, bool) {
	if errors.Is(err, errStaleRead) {
		return ReasonStaleRead, true
	}
	if e, ok := graphDetails(err); ok {
		switch {
		case strings.EqualFold(e.Code, codeConcurrencyViolation):
			return ReasonConcurrencyViolation, true
		case strings.EqualFold(e.Code, codeMsaAppDoesNotExist):
			return ReasonMsaAppDoesNotExist, true
		case e.StatusCode == http.StatusTooManyRequests:
			return ReasonThrottled, true
		case e.StatusCode == http.StatusInternalServerError, e.StatusCode == http.StatusBadGateway,
			e.StatusCode == http.StatusServiceUnavailable, e.StatusCode == http.StatusGatewayTimeout:
			return ReasonServerError, true
		case e.StatusCode == http.StatusNotFound && p.notFound != "":
			return p.notFound, true
		case p.scopeStillEnabled && isScopeStillEnabled(e):
			return ReasonScopeStillEnabled, true
		case p.unknownPermissionIsLag && isUnknownPermission(e):
			return ReasonScopeNotReplicated, true
		}
		return "", false
	}
	if errors.Is(err, errRequestTimeout) {
		return ReasonRequestTimeout, true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "", false
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return ReasonNetwork, true
	}
	if isTransportFailure(err) {
		return ReasonNetwork, true
	}
	return "", false
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

// isScopeStillEnabled recognises Graph's "disable it first" answer.
func isScopeStillEnabled(e *APIError) bool {
	return e.StatusCode == http.StatusBadRequest &&
		(strings.EqualFold(e.Code, codeCannotUpdateEnabledScope) ||
			strings.Contains(strings.ToLower(e.Message), messageCannotUpdateEnabledPart))
}

// rejectedAsBuiltOnOldState reports whether Graph refused a PATCH in a way that, once replication
// lag is ruled out, means the PATCH was built on a state older than Graph's: a scope it changes is
// still enabled there, or a permission it grants is not there.
func rejectedAsBuiltOnOldState(err error) bool {
	e, ok := graphDetails(err)
	return ok && (isScopeStillEnabled(e) || isUnknownPermission(e))
}

// isUnknownPermission recognises Graph's answer to a pre-authorization of a scope it cannot find.
func isUnknownPermission(e *APIError) bool {
	return e.StatusCode == http.StatusBadRequest &&
		strings.Contains(strings.ToLower(e.Message), messageUnknownPermissionPart)
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
	start := c.now()
	network := 0
	var retried error // the failure the current attempt repeats
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, attempt, fn)
		if err == nil {
			return nil
		}
		var forbidden *ForbiddenError
		if errors.As(err, &forbidden) {
			forbidden.Caller = c.cfg.Caller
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return giveUp(p, attempt, timedOutRetrying(err, retried))
		}
		reason, ok := classify(err, p)
		if !ok {
			return giveUp(p, attempt, err)
		}
		elapsed := c.now().Sub(start)
		switch reason {
		case ReasonNotFoundAfterWrite, ReasonNotFoundFirstLookup:
			if elapsed >= p.notFoundWindow {
				return giveUp(p, attempt, err)
			}
		case ReasonStaleRead, ReasonScopeStillEnabled, ReasonScopeNotReplicated:
			if elapsed >= p.staleWindow {
				return giveUp(p, attempt, err)
			}
		case ReasonNetwork:
			network++
			if network >= maxNetworkAttempts {
				return giveUp(p, attempt, err)
			}
		}
		wait := c.cfg.Backoff.delay(attempt, c.random())
		if e, ok := graphDetails(err); ok && e.RetryAfter > 0 {
			wait = e.RetryAfter
		}
		if !c.fitsDeadline(ctx, wait) {
			return giveUp(p, attempt, fmt.Errorf("the next retry (in %s) would pass the deadline: %w", wait.Round(time.Millisecond), err))
		}
		c.stats.addRetry(reason)
		fields := map[string]any{"call": p.what, "attempt": attempt, "retry_reason": string(reason), "retry_in_ms": wait.Milliseconds()}
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
		if err := c.sleep(ctx, wait); err != nil {
			return giveUp(p, attempt, timedOutRetrying(err, retried))
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
