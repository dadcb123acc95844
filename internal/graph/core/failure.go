package core

import (
	"errors"
	"io"
	"net"
	"net/url"
	"slices"
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

// brokenConnection are parts of the messages of a failed connection rather than an answer: a reset
// stream or a connection closed mid-answer (net/http's HTTP/2 errors are not exported).
var brokenConnection = []string{"stream error", "connection reset", "broken pipe", "server sent goaway",
	"client connection lost", "connection closed", "use of closed network connection"}

// FailureOf describes err, an attempt's failure, as the policy sees it; ended says err is the end of
// the caller's context, which is never retried. A certificate or name failure is not a network
// failure: sending again cannot fix it.
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
	var ue *url.Error
	var dns *net.DNSError
	broken := false
	if errors.As(err, &ue) && !badcert.Is(err) && !errors.As(err, &dns) {
		msg := strings.ToLower(ue.Err.Error())
		broken = slices.ContainsFunc(brokenConnection, func(part string) bool { return strings.Contains(msg, part) })
	}
	return Failure{Network: !ended && (broken || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF))}
}
