package core

import (
	"cmp"
	"fmt"
	"math"
	"strings"
	"time"
)

// The one retry policy: which failures of a call are repeated, after what delay, and when it gives
// up. The driver (package graph, retry.go) describes each failed attempt as a Failure, asks Next, and
// waits or returns; nothing below it retries.

// RetryReason names why a call was repeated or a wait was taken; the driver counts them by reason.
type RetryReason string

// Retry reasons.
const (
	ReasonThrottled            RetryReason = "throttled"              // a 429 answer; the delay honours Retry-After
	ReasonServerError          RetryReason = "server_error"           // a 500, 502, 503 or 504 answer
	ReasonConcurrencyViolation RetryReason = "concurrency_violation"  // Directory_ConcurrencyViolation (a 409 under bursts)
	ReasonMsaAppDoesNotExist   RetryReason = "msa_app_does_not_exist" // Error_MsaAppDoesNotExist (a 409 while an application replicates)
	ReasonNotFoundAfterWrite   RetryReason = "not_found_after_write"  // a 404 for an application this process wrote: a replica behind
	ReasonNotFoundFirstLookup  RetryReason = "not_found_first_lookup" // a 404 on the first lookups, retried briefly
	ReasonStaleRead            RetryReason = "stale_read"             // a read older than what this process confirmed
	ReasonNotYetVisible        RetryReason = "not_yet_visible"        // a confirmation read without the write yet
	ReasonSettle               RetryReason = "settle"                 // the last operation's wait for its writes to replicate
	ReasonRequestTimeout       RetryReason = "request_timeout"        // no answer within the per-request timeout
	// ReasonScopeStillEnabled is CannotDeleteOrUpdateEnabledEntitlement after a confirmed disable: a
	// replica that missed it; ReasonScopeNotReplicated Graph's 400 "Permission Id that cannot be
	// found" for scopes this process read or created: the replica checking the PATCH has not seen them.
	ReasonScopeStillEnabled  RetryReason = "scope_still_enabled"
	ReasonScopeNotReplicated RetryReason = "scope_not_replicated"
	// ReasonVerifyOnFreshRead is a read made to answer without a write an op newer than the read;
	// ReasonRebuiltResend a resend rebuilt on a fresh read (its base was older than WriteReuse);
	// ReasonFreshBase a write's first read waiting for FreshFrom (what earlier commands reported);
	// ReasonConfirmAbsence a re-read before reporting a scope or pre-authorization missing.
	ReasonVerifyOnFreshRead RetryReason = "verify_on_fresh_read"
	ReasonRebuiltResend     RetryReason = "rebuilt_resend"
	ReasonFreshBase         RetryReason = "fresh_base"
	ReasonConfirmAbsence    RetryReason = "confirm_absence"
	// ReasonNetwork is a dropped connection or stream reset; a write may have taken effect (safe:
	// every write states whole collections).
	ReasonNetwork RetryReason = "network"
)

// Graph's answers the policy recognises (Microsoft Graph error codes and messages).
const (
	CodeMsaAppDoesNotExist         = "Error_MsaAppDoesNotExist"
	CodeConcurrencyViolation       = "Directory_ConcurrencyViolation"
	CodeCannotUpdateEnabledScope   = "CannotDeleteOrUpdateEnabledEntitlement"
	messageCannotUpdateEnabledPart = "cannot be deleted or updated unless disabled first"
	messageUnknownPermissionPart   = "permission id that cannot be found"
)

// Bounds of the policy.
const (
	// MaxNetworkAttempts bounds retries of transport failures: a refused connection or a reset is
	// worth a second try, a wrong endpoint is not worth minutes.
	MaxNetworkAttempts = 3
	// MaxRebuilds bounds how often one op is rebuilt on a new read after Graph refused its change as
	// built on an older state.
	MaxRebuilds = 3
	// MaxConfirmWait caps the pause after a confirmation read that did not show the write yet.
	MaxConfirmWait = time.Second
)

// Failure is one failed attempt as the policy sees it: Graph's answer (Answered: Status, Code,
// Message, RetryAfter), or what kind of failure it was: a read older than what this process
// confirmed (Stale), no answer within the per-request timeout (Timeout), a dropped connection or
// reset stream (Network).
type Failure struct {
	Answered                bool
	Status                  int
	Code, Message           string
	RetryAfter              time.Duration
	Stale, Timeout, Network bool
}

// ScopeStillEnabled recognises Graph's "disable it first" answer.
func (f Failure) ScopeStillEnabled() bool {
	return f.Status == 400 && (strings.EqualFold(f.Code, CodeCannotUpdateEnabledScope) ||
		strings.Contains(strings.ToLower(f.Message), messageCannotUpdateEnabledPart))
}

// UnknownPermission recognises Graph's answer to a pre-authorization of a scope it cannot find.
func (f Failure) UnknownPermission() bool {
	return f.Status == 400 && strings.Contains(strings.ToLower(f.Message), messageUnknownPermissionPart)
}

// BuiltOnOldState reports whether Graph refused a PATCH in a way that, once replication lag is ruled
// out, means the PATCH was built on a state older than Graph's: a scope it changes is still enabled
// there, or a permission it grants is not there. The round is rebuilt, at most MaxRebuilds times.
func (f Failure) BuiltOnOldState() bool { return f.ScopeStillEnabled() || f.UnknownPermission() }

// Policy says which failures of one call are worth repeating.
type Policy struct {
	NotFound       RetryReason   // the reason recorded for a 404; empty: a 404 is final
	NotFoundWindow time.Duration // how long 404 answers are retried, from the first attempt
	// ScopeStillEnabled makes CannotDeleteOrUpdateEnabledEntitlement retryable; UnknownPermissionIsLag
	// the "Permission Id that cannot be found" answer (the body references only scopes the
	// application has); StaleWindow bounds how long stale reads and these two answers are retried.
	ScopeStillEnabled, UnknownPermissionIsLag bool
	StaleWindow                               time.Duration
}

// Classify returns the retry reason of f, or false when f is final under the policy.
func (p Policy) Classify(f Failure) (RetryReason, bool) {
	switch {
	case f.Stale:
		return ReasonStaleRead, true
	case !f.Answered && f.Timeout:
		return ReasonRequestTimeout, true
	case !f.Answered && f.Network:
		return ReasonNetwork, true
	case !f.Answered:
		return "", false
	case strings.EqualFold(f.Code, CodeConcurrencyViolation):
		return ReasonConcurrencyViolation, true
	case strings.EqualFold(f.Code, CodeMsaAppDoesNotExist):
		return ReasonMsaAppDoesNotExist, true
	case f.Status == 429:
		return ReasonThrottled, true
	case f.Status == 500, f.Status == 502, f.Status == 503, f.Status == 504:
		return ReasonServerError, true
	case f.Status == 404 && p.NotFound != "":
		return p.NotFound, true
	case p.ScopeStillEnabled && f.ScopeStillEnabled():
		return ReasonScopeStillEnabled, true
	case p.UnknownPermissionIsLag && f.UnknownPermission():
		return ReasonScopeNotReplicated, true
	}
	return "", false
}

// Attempts is the history of one call's retries: when the first attempt started, the attempts made
// (N), the network failures among them.
type Attempts struct {
	Start      time.Time
	N, Network int
}

// Retry is the policy's decision after a failed attempt: why the call is repeated (empty when the
// failure is final), the delay before the next attempt, whether to wait and repeat (Again), and
// whether the wait would end after the deadline (PastDeadline).
type Retry struct {
	Reason              RetryReason
	Wait                time.Duration
	Again, PastDeadline bool
}

// Next decides what follows attempt a.N's failure f at now: give up when the failure is final, its
// window (404s, stale reads) has passed, network failures reached MaxNetworkAttempts, or the wait
// (the backoff's, or Graph's Retry-After) would end after deadline (zero: none). r is a uniform
// random number in [0, 1) for the backoff's jitter.
func (p Policy) Next(a *Attempts, f Failure, now, deadline time.Time, b Backoff, r float64) Retry {
	reason, ok := p.Classify(f)
	if !ok {
		return Retry{}
	}
	elapsed := now.Sub(a.Start)
	switch reason {
	case ReasonNotFoundAfterWrite, ReasonNotFoundFirstLookup:
		ok = elapsed < p.NotFoundWindow
	case ReasonStaleRead, ReasonScopeStillEnabled, ReasonScopeNotReplicated:
		ok = elapsed < p.StaleWindow
	case ReasonNetwork:
		a.Network++
		ok = a.Network < MaxNetworkAttempts
	}
	if !ok {
		return Retry{Reason: reason}
	}
	wait := b.Delay(a.N, r)
	if f.RetryAfter > 0 {
		wait = f.RetryAfter
	}
	if !deadline.IsZero() && now.Add(wait).After(deadline) {
		return Retry{Reason: reason, Wait: wait, PastDeadline: true}
	}
	return Retry{Reason: reason, Wait: wait, Again: true}
}

// Final is the error a call ends with when the policy does not repeat it after err: err, or, when
// the wait would pass the deadline, err with that reason.
func (r Retry) Final(err error) error {
	if r.PastDeadline {
		return fmt.Errorf("the next retry (in %s) would pass the deadline: %w", r.Wait.Round(time.Millisecond), err)
	}
	return err
}

// GaveUp is the error of the call what that ended with err after attempts: err itself after one.
func GaveUp(what string, attempts int, err error) error {
	if attempts == 1 {
		return err
	}
	return fmt.Errorf("%s: giving up after %d attempts: %w", what, attempts, err)
}

// WritePolicy is the policy of a PATCH. A replica behind a scope's disable (ours or another
// writer's) refuses any change of the application, not only of its scopes; Graph's "permission not
// found" is lag when the body grants only scopes the application has (grantsKnown). Past
// OverwriteAfter either refusal means the PATCH was built on a replica that was behind (Refused).
func (l Lag) WritePolicy(grantsKnown bool) Policy {
	return Policy{ScopeStillEnabled: true, UnknownPermissionIsLag: grantsKnown, StaleWindow: l.OverwriteAfter()}
}

// Backoff configures the exponential backoff between attempts.
type Backoff struct {
	Initial    time.Duration // the delay before the first retry (default 100 ms)
	Max        time.Duration // caps a single delay (default 5 s); a longer Retry-After is still honoured
	Multiplier float64       // grows the delay per attempt (default 2)
	// Jitter is the fraction of each delay that is randomized, 0 to 1: the delay is drawn uniformly
	// from [d*(1-Jitter), d]. A zero Backoff gets 0.5; otherwise 0 means no jitter.
	Jitter float64
}

// WithDefaults fills what b leaves unset.
func (b Backoff) WithDefaults() Backoff {
	if b == (Backoff{}) {
		b.Jitter = 0.5
	}
	b.Initial = cmp.Or(max(b.Initial, 0), 100*time.Millisecond)
	b.Max = max(cmp.Or(max(b.Max, 0), 5*time.Second), b.Initial)
	if b.Multiplier < 1 {
		b.Multiplier = 2
	}
	b.Jitter = min(max(b.Jitter, 0), 1)
	return b
}

// Delay returns the wait before retry number attempt (1-based); r is a uniform random number in
// [0, 1).
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	d := float64(b.Initial) * math.Pow(b.Multiplier, float64(attempt-1))
	if d > float64(b.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(b.Max)
	}
	return time.Duration(d - d*b.Jitter*r)
}

// PollDelay is the pause before confirmation read number misses+1: the backoff, capped at
// MaxConfirmWait.
func (b Backoff) PollDelay(misses int, r float64) time.Duration {
	return min(b.Delay(misses, r), MaxConfirmWait)
}
