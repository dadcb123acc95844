package core

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/badcert"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The one retry policy: which failures of a call are repeated, after what delay, and when it gives
// up. The driver (Client.retry) hands each failed attempt's error to Next, and waits or returns.

// RetryReason names why a call was repeated or a wait was taken; the driver counts them by reason.
type RetryReason string

// Retry reasons: of a repeated call (Policy.Classify), then of the driver's waits and extra reads.
const (
	ReasonThrottled            RetryReason = "throttled"              // a 429 answer; the delay honours Retry-After
	ReasonServerError          RetryReason = "server_error"           // a 500, 502, 503 or 504 answer
	ReasonConcurrencyViolation RetryReason = "concurrency_violation"  // Directory_ConcurrencyViolation (a 409 under bursts)
	ReasonMsaAppDoesNotExist   RetryReason = "msa_app_does_not_exist" // Error_MsaAppDoesNotExist (a 409 while an app replicates)
	ReasonNotFoundAfterWrite   RetryReason = "not_found_after_write"  // a 404 for an application this process wrote
	ReasonNotFoundFirstLookup  RetryReason = "not_found_first_lookup" // a 404 on the first lookups
	ReasonStaleRead            RetryReason = "stale_read"             // a read older than what this process confirmed
	ReasonRequestTimeout       RetryReason = "request_timeout"        // no answer within the per-request timeout
	ReasonNetwork              RetryReason = "network"                // a dropped connection or stream reset
	ReasonScopeStillEnabled    RetryReason = "scope_still_enabled"    // the disable-first answer after a confirmed disable
	ReasonScopeNotReplicated   RetryReason = "scope_not_replicated"   // "Permission Id that cannot be found" for known scopes
	ReasonNotYetVisible        RetryReason = "not_yet_visible"        // a confirmation read without the write yet
	ReasonSettle               RetryReason = "settle"                 // the last operation's wait for its writes to replicate
	ReasonVerifyOnFreshRead    RetryReason = "verify_on_fresh_read"   // a read to answer an op newer than the read without a write
	ReasonRebuiltResend        RetryReason = "rebuilt_resend"         // a resend rebuilt on a fresh read (its base past WriteReuse)
	ReasonFreshBase            RetryReason = "fresh_base"             // a write's first read waiting for FreshFrom
	ReasonConfirmAbsence       RetryReason = "confirm_absence"        // a re-read before reporting a scope or grant missing
)

// Graph's error codes the policy recognises.
const (
	CodeMsaAppDoesNotExist       = "Error_MsaAppDoesNotExist"
	CodeConcurrencyViolation     = "Directory_ConcurrencyViolation"
	CodeCannotUpdateEnabledScope = "CannotDeleteOrUpdateEnabledEntitlement"
)

// Bounds of the policy.
const (
	MaxNetworkAttempts = 3           // a reset is worth a second try, a wrong endpoint is not worth minutes
	MaxRebuilds        = 3           // rebuilds of one op on a new read after a refusal as built on an older state
	MaxConfirmWait     = time.Second // caps the pause after a confirmation read without the write
)

// Failures of an attempt that are not Graph's answers, as the driver reports them.
var (
	ErrStaleRead      = errors.New("the read is older than changes this process already confirmed")
	ErrRequestTimeout = errors.New("no answer within the per-request timeout")
)

// brokenConnection are parts of the messages of a failed connection rather than an answer (net/http's
// HTTP/2 errors are not exported).
var brokenConnection = []string{"stream error", "connection reset", "broken pipe", "server sent goaway",
	"client connection lost", "connection closed", "use of closed network connection"}

// dropped reports whether err is a dropped connection or a reset stream rather than an answer; a
// certificate or name failure is not: sending again cannot fix it.
func dropped(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) && !badcert.Is(err) && !errors.As(err, new(*net.DNSError)) {
		msg := strings.ToLower(ue.Err.Error())
		if slices.ContainsFunc(brokenConnection, func(part string) bool { return strings.Contains(msg, part) }) {
			return true
		}
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// ScopeStillEnabled recognises Graph's "disable it first" answer.
func ScopeStillEnabled(e *model.APIError) bool {
	return e.StatusCode == 400 && (strings.EqualFold(e.Code, CodeCannotUpdateEnabledScope) ||
		strings.Contains(strings.ToLower(e.Message), "cannot be deleted or updated unless disabled first"))
}

// UnknownPermission recognises Graph's answer to a pre-authorization of a scope it cannot find.
func UnknownPermission(e *model.APIError) bool {
	return e.StatusCode == 400 && strings.Contains(strings.ToLower(e.Message), "permission id that cannot be found")
}

// Policy says which failures of one call are worth repeating: a 404 (as NotFound, for NotFoundWindow
// from the first attempt), Graph's disable-first answer, its "Permission Id that cannot be found" (when
// the body grants only scopes the application has); StaleWindow bounds stale reads and these two.
type Policy struct {
	NotFound                                  RetryReason
	NotFoundWindow                            time.Duration
	ScopeStillEnabled, UnknownPermissionIsLag bool
	StaleWindow                               time.Duration
}

// Classify returns the retry reason of err, an attempt's failure, or false when it is final under the
// policy; ended says err is the end of the caller's context, never retried.
func (p Policy) Classify(err error, ended bool) (RetryReason, bool) {
	e, answered := model.AsAPIError(err)
	switch {
	case errors.Is(err, ErrStaleRead):
		return ReasonStaleRead, true
	case !answered && errors.Is(err, ErrRequestTimeout):
		return ReasonRequestTimeout, true
	case !answered && !ended && dropped(err):
		return ReasonNetwork, true
	case !answered:
		return "", false
	case strings.EqualFold(e.Code, CodeConcurrencyViolation):
		return ReasonConcurrencyViolation, true
	case strings.EqualFold(e.Code, CodeMsaAppDoesNotExist):
		return ReasonMsaAppDoesNotExist, true
	case e.StatusCode == 429:
		return ReasonThrottled, true
	case e.StatusCode == 500, e.StatusCode == 502, e.StatusCode == 503, e.StatusCode == 504:
		return ReasonServerError, true
	case e.StatusCode == 404 && p.NotFound != "":
		return p.NotFound, true
	case p.ScopeStillEnabled && ScopeStillEnabled(e):
		return ReasonScopeStillEnabled, true
	case p.UnknownPermissionIsLag && UnknownPermission(e):
		return ReasonScopeNotReplicated, true
	}
	return "", false
}

// Call is one call's history: its name in errors ("GET /applications/{id}"), when its first attempt
// started, the attempts made (N), the network failures among them.
type Call struct {
	What       string
	Start      time.Time
	N, Network int
}

// GaveUp is the error the call ends with after err: err itself after one attempt.
func (c *Call) GaveUp(err error) error {
	if c.N == 1 {
		return err
	}
	return fmt.Errorf("%s: giving up after %d attempts: %w", c.What, c.N, err)
}

// Next decides after attempt c.N's failure err at now (ended: Classify): repeat for a reason after a
// wait, or end with a final error: when the failure is final, its window (404s, stale reads) passed,
// network failures reached MaxNetworkAttempts, or the wait would end after deadline (zero: none).
func (p Policy) Next(c *Call, err error, ended bool, now, deadline time.Time, r float64) (RetryReason, time.Duration, error) {
	reason, ok := p.Classify(err, ended)
	switch reason {
	case ReasonNotFoundAfterWrite, ReasonNotFoundFirstLookup:
		ok = now.Sub(c.Start) < p.NotFoundWindow
	case ReasonStaleRead, ReasonScopeStillEnabled, ReasonScopeNotReplicated:
		ok = now.Sub(c.Start) < p.StaleWindow
	case ReasonNetwork:
		c.Network++
		ok = c.Network < MaxNetworkAttempts
	}
	if !ok {
		return reason, 0, c.GaveUp(err)
	}
	wait := Backoff(c.N, r)
	if e, ok := model.AsAPIError(err); ok && e.RetryAfter > 0 {
		wait = e.RetryAfter
	}
	if !deadline.IsZero() && now.Add(wait).After(deadline) {
		err = fmt.Errorf("the next retry (in %s) would pass the deadline: %w", wait.Round(time.Millisecond), err)
		return reason, wait, c.GaveUp(err)
	}
	return reason, wait, nil
}

// WritePolicy is the policy of a PATCH: a replica behind a scope's disable refuses any change of the
// application; "permission not found" is lag when the body grants only scopes the application has
// (grantsKnown). Past OverwriteAfter either refusal means a base that was behind (Refused).
func (l Lag) WritePolicy(grantsKnown bool) Policy {
	return Policy{ScopeStillEnabled: true, UnknownPermissionIsLag: grantsKnown, StaleWindow: l.OverwriteAfter()}
}

// Backoff is the wait before retry number attempt (1-based): 100 ms, doubled per attempt up to 5 s (a
// longer Retry-After is still honoured), less up to half of it at random (r uniform in [0, 1)).
func Backoff(attempt int, r float64) time.Duration {
	d := min(100*time.Millisecond<<min(max(attempt, 1)-1, 6), 5*time.Second)
	return d - time.Duration(float64(d)*0.5*r)
}

// PollDelay is the pause before confirmation read number misses+1: Backoff, capped at MaxConfirmWait.
func PollDelay(misses int, r float64) time.Duration { return min(Backoff(misses, r), MaxConfirmWait) }
