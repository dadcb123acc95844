package graph

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// leaderGaveUp reports whether err, the outcome of a call shared with other callers (one GET, one
// lookup), is only its leader's context ending while ctx is still live: the follower calls again.
func leaderGaveUp(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && isContextEnd(err)
}

// isContextEnd reports whether err is a context's end.
func isContextEnd(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// timedOutRetrying returns err, the end of a context, with last, the failure being retried when it
// ended (model.RetryTimeoutError); err alone when nothing was being retried or err is not a context's end.
func timedOutRetrying(err, last error) error {
	if last == nil || !isContextEnd(err) || errors.As(err, new(*model.RetryTimeoutError)) {
		return err
	}
	return &model.RetryTimeoutError{Err: err, Last: last}
}

// callPolicy is one call's retry policy, its name in logs and errors ("GET /applications/{id}"), and
// onRetry, when set, told each failure that is about to be retried.
type callPolicy struct {
	core.Policy
	what    string
	onRetry func(err error)
}

// attemptKey carries the attempt number (retry) to do's log and to a PATCH's resend check.
type attemptKey struct{}

func attemptFrom(ctx context.Context) int {
	if n, ok := ctx.Value(attemptKey{}).(int); ok {
		return n
	}
	return 1
}

// retry runs fn, each attempt with its number in the context, until core.Policy gives up (core.Call.GaveUp
// wraps the last error); when ctx ended meanwhile, with the failure being retried (RetryTimeoutError).
func (c *Client) retry(ctx context.Context, p callPolicy, fn func(ctx context.Context) error) error {
	a := core.Call{What: p.what, Start: c.now()}
	var retried error // the failure the current attempt repeats
	for {
		a.N++
		err := c.attempt(ctx, a.N, fn)
		if err == nil {
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return a.GaveUp(timedOutRetrying(err, retried))
		}
		deadline, _ := ctx.Deadline()
		reason, wait, final := p.Next(&a, err, isContextEnd(err), c.now(), deadline, c.jitter())
		if final != nil {
			return final
		}
		c.addRetry(reason)
		fields := map[string]any{"call": p.what, "attempt": a.N, "retry_reason": string(reason), "retry_in_ms": wait.Milliseconds()}
		if e, ok := model.AsAPIError(err); ok {
			fields["status"], fields["code"], fields["request_id"] = e.StatusCode, e.Code, e.RequestID
		}
		c.logWarn(ctx, "retrying Microsoft Graph call", fields)
		retried = err
		if p.onRetry != nil {
			p.onRetry(err)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return a.GaveUp(timedOutRetrying(err, retried))
		}
	}
}

// attempt runs fn once under the per-request timeout. An attempt that times out while ctx is
// still live fails with core.ErrRequestTimeout, which is retried.
func (c *Client) attempt(ctx context.Context, n int, fn func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(context.WithValue(ctx, attemptKey{}, n), core.RequestTimeout)
	defer cancel()
	err := fn(actx)
	// A deadline that is not ctx's is the per-request one (a PATCH runs on a detached context with
	// the same bound, whose timer may fire first).
	if err != nil && ctx.Err() == nil && (actx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("%w (%s): %w", core.ErrRequestTimeout, core.RequestTimeout, err)
	}
	return err
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
