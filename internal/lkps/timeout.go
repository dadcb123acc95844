package lkps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// RequestTimeout bounds one HTTP request to LKPS (one attempt, until its body is read): a
// hung connection costs this much, not the operation's whole budget.
const RequestTimeout = 30 * time.Second

// requestTimeout is the timeout clients get (a variable for tests).
var requestTimeout = RequestTimeout

// errRequestTimeout is the transport failure of an attempt that got no complete answer within the
// per-request timeout while the operation's context was still live. It is not a context error, so
// the retry rules treat it as any transport failure: idempotent calls are sent again, a session
// start (which may have been processed) is not.
var errRequestTimeout = errors.New("no answer from LKPS within the per-request timeout")

// timeoutTransport gives every request its own deadline.
type timeoutTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	ctx, cancel := context.WithTimeout(parent, t.timeout)
	res, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		timedOut := parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		if timedOut {
			return nil, fmt.Errorf("%w (%s)", errRequestTimeout, t.timeout)
		}
		return nil, err
	}
	res.Body = &cancelOnClose{ReadCloser: res.Body, cancel: cancel, parent: parent, ctx: ctx, timeout: t.timeout}
	return res, nil
}

// cancelOnClose releases the request's deadline once its body is closed, and reports a body read cut
// short by the deadline as errRequestTimeout.
type cancelOnClose struct {
	io.ReadCloser
	cancel      context.CancelFunc
	parent, ctx context.Context
	timeout     time.Duration
}

func (b *cancelOnClose) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && b.parent.Err() == nil && errors.Is(b.ctx.Err(), context.DeadlineExceeded) {
		return n, fmt.Errorf("%w (%s)", errRequestTimeout, b.timeout)
	}
	return n, err
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
