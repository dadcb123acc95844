package core

import (
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/bayer/terraform-provider-lkps/internal/badcert"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Failures of an attempt that are not Graph's answers, as the driver reports them.
var (
	ErrStaleRead      = errors.New("the read is older than changes this process already confirmed")
	ErrRequestTimeout = errors.New("no answer within the per-request timeout")
)

// FailureOf describes err, an attempt's failure, as the policy sees it; ended says err is the end of
// the caller's context, which is never retried.
func FailureOf(err error, ended bool) Failure {
	if errors.Is(err, ErrStaleRead) {
		return Failure{Stale: true}
	}
	if e, ok := model.AsAPIError(err); ok {
		return Failure{Answered: true, Status: e.StatusCode, Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter}
	}
	if errors.Is(err, ErrRequestTimeout) {
		return Failure{Timeout: true}
	}
	return Failure{Network: !ended && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || isTransportFailure(err))}
}

// isTransportFailure reports whether err is a failure of the connection rather than an answer: a
// reset stream or a connection closed mid-answer. Certificate and name-resolution failures are not:
// sending again cannot fix them.
func isTransportFailure(err error) bool {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return false
	}
	var dns *net.DNSError
	if badcert.Is(err) || errors.As(err, &dns) {
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
