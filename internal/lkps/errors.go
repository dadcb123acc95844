package lkps

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Kind classifies a failed LKPS call. Every error the Client returns for a remote failure is an *Error
// with one Kind; use errors.As to read its fields, or errors.Is with the matching sentinel (ErrNotFound,
// ErrOcelotUnauthorized, ...) when only the kind matters.
type Kind int

const (
	// KindToken means the access token for LKPS could not be acquired; no request was sent.
	KindToken Kind = iota + 1
	// KindTransport means no HTTP response was received (connection refused, TLS failure, timeout).
	KindTransport
	// KindOcelotUnauthorized is a 401 from Ocelot: the token is missing, expired, invalid, or not for
	// the LKPS audience. Any 401 is Ocelot's, because LKPS never validates tokens.
	KindOcelotUnauthorized
	// KindOcelotForbidden is a 403 from Ocelot: the caller's application is not on the route's Client
	// Access List (or the call went to the wrong environment).
	KindOcelotForbidden
	// KindClientNotAuthorized is a 403 from LKPS: the client application is not authorized for the agent.
	// Error.FailedCheck names the failed check when LKPS reports it.
	KindClientNotAuthorized
	// KindNotFound is a 404 from LKPS at session start: the agent is not registered in this region.
	KindNotFound
	// KindInvalidRequest is any other 4xx (validation errors, unknown paths, conflicts).
	KindInvalidRequest
	// KindThrottled is a 429 that was still returned after the retries the operation allows.
	KindThrottled
	// KindServer is a 5xx from Ocelot or LKPS.
	KindServer
	// KindUnexpectedResponse is a response the client cannot use: an unparsable 2xx body, a 2xx body
	// without a documented field, or a status that is neither success nor error.
	KindUnexpectedResponse
	// KindWrongIdentity means the token the client would send belongs to another application than the
	// one expected (see Client.VerifyCaller); no request was sent.
	KindWrongIdentity
)

// String returns the kind's short name, used in logs.
func (k Kind) String() string {
	switch k {
	case KindToken:
		return "token"
	case KindTransport:
		return "transport"
	case KindOcelotUnauthorized:
		return "ocelot_unauthorized"
	case KindOcelotForbidden:
		return "ocelot_forbidden"
	case KindClientNotAuthorized:
		return "client_not_authorized"
	case KindNotFound:
		return "not_found"
	case KindInvalidRequest:
		return "invalid_request"
	case KindThrottled:
		return "throttled"
	case KindServer:
		return "server"
	case KindUnexpectedResponse:
		return "unexpected_response"
	case KindWrongIdentity:
		return "wrong_identity"
	default:
		return fmt.Sprintf("kind(%d)", int(k))
	}
}

// Sentinel errors, one per Kind, for errors.Is. An *Error matches the sentinel of its Kind.
var (
	// ErrToken matches KindToken.
	ErrToken = errors.New("lkps: access token could not be acquired")
	// ErrTransport matches KindTransport.
	ErrTransport = errors.New("lkps: no response from the LKPS endpoint")
	// ErrOcelotUnauthorized matches KindOcelotUnauthorized.
	ErrOcelotUnauthorized = errors.New("lkps: Ocelot rejected the access token")
	// ErrOcelotForbidden matches KindOcelotForbidden.
	ErrOcelotForbidden = errors.New("lkps: caller is not on the Ocelot route's Client Access List")
	// ErrClientNotAuthorized matches KindClientNotAuthorized.
	ErrClientNotAuthorized = errors.New("lkps: client application is not authorized for the agent")
	// ErrNotFound matches KindNotFound: the agent is not registered with LKPS in this region.
	ErrNotFound = errors.New("lkps: agent not registered")
	// ErrInvalidRequest matches KindInvalidRequest.
	ErrInvalidRequest = errors.New("lkps: request rejected")
	// ErrThrottled matches KindThrottled.
	ErrThrottled = errors.New("lkps: request throttled")
	// ErrServer matches KindServer.
	ErrServer = errors.New("lkps: server error")
	// ErrUnexpectedResponse matches KindUnexpectedResponse.
	ErrUnexpectedResponse = errors.New("lkps: unexpected response")
	// ErrWrongIdentity matches KindWrongIdentity.
	ErrWrongIdentity = errors.New("lkps: token belongs to another application")
)

var sentinels = map[Kind]error{
	KindToken:               ErrToken,
	KindTransport:           ErrTransport,
	KindOcelotUnauthorized:  ErrOcelotUnauthorized,
	KindOcelotForbidden:     ErrOcelotForbidden,
	KindClientNotAuthorized: ErrClientNotAuthorized,
	KindNotFound:            ErrNotFound,
	KindInvalidRequest:      ErrInvalidRequest,
	KindThrottled:           ErrThrottled,
	KindServer:              ErrServer,
	KindUnexpectedResponse:  ErrUnexpectedResponse,
	KindWrongIdentity:       ErrWrongIdentity,
}

// Source says who wrote an error response.
type Source string

const (
	// SourceOcelot is the Ocelot gateway (body with "source":"ocelot", or any 401).
	SourceOcelot Source = "Ocelot"
	// SourceLKPS is the LiveKit Platform Service (FastAPI body with "detail").
	SourceLKPS Source = "LKPS"
	// SourceUnknown is a response body that names neither.
	SourceUnknown Source = ""
)

// Error is a failed LKPS call. Its message says what happened and what to do, following the LKPS
// guides' troubleshooting tables, and never contains the access token or any LiveKit token.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Op names the operation, e.g. "register agent".
	Op string
	// Method and URL identify the request; empty when no request was sent.
	Method string
	// URL is the full request URL (it carries no secrets).
	URL string
	// StatusCode is the HTTP status of the last response, or 0 when none was received.
	StatusCode int
	// Source is who wrote the error response.
	Source Source
	// Code is Ocelot's error code ("invalid_token", "client_not_allowed"), when given.
	Code string
	// Detail is the server's human message (LKPS "detail", Ocelot "message" or error_description),
	// with any copy of the access token removed and long texts shortened.
	Detail string
	// FailedCheck is LKPS's failed authorization check for KindClientNotAuthorized: one of
	// CheckScopeMissing, CheckClientNotPreauthorized, CheckScopeNotGranted, or "" when LKPS did not say.
	FailedCheck string
	// NonJSON describes a response body that is not JSON (content type and an excerpt), when the answer
	// had one: Ocelot and LKPS answer in JSON, so such a body comes from a proxy or gateway in between.
	NonJSON string
	// RequestID is the request id the server returned, when any.
	RequestID string
	// RetryAfter is the server's Retry-After of the last response, when given.
	RetryAfter time.Duration
	// Attempts is how many requests were sent for this operation.
	Attempts int
	// CallerAppID is the appid/azp claim of the token that was sent, when it could be read.
	CallerAppID string
	// TokenAudience is the aud claim of the token that was sent, when it could be read.
	TokenAudience string
	// AgentAppID is the agent application the operation concerned, when any.
	AgentAppID string
	// Err is the underlying cause (transport or token error, context error), if any.
	Err error

	env     environments.Entry
	baseURL string
	scope   string
}

// Error returns what happened followed by what to do.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.summary())
	if adv := advise(e); adv != "" {
		b.WriteString(" ")
		b.WriteString(adv)
	}
	return b.String()
}

// Summary returns what happened, without the advice; Error() is Op, Summary and Advice together.
func (e *Error) Summary() string { return e.summary() }

// Advice returns what to do about the error, following the LKPS guides' troubleshooting tables.
func (e *Error) Advice() string { return advise(e) }

// Unwrap returns the underlying cause, so errors.Is works with context and network errors.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's Kind.
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Kind]
	return ok && s == target
}

// summary is the "what happened" half of the message.
func (e *Error) summary() string {
	var b strings.Builder
	b.WriteString(what(e))
	var facts []string
	if e.Method != "" {
		facts = append(facts, e.Method+" "+e.URL)
	}
	if e.StatusCode != 0 {
		s := fmt.Sprintf("HTTP %d", e.StatusCode)
		if e.Source != SourceUnknown {
			s += " from " + string(e.Source)
		}
		facts = append(facts, s)
	}
	if e.Code != "" {
		facts = append(facts, "error "+e.Code)
	}
	if e.FailedCheck != "" {
		facts = append(facts, "failed_check "+e.FailedCheck)
	}
	if e.RequestID != "" {
		facts = append(facts, "request id "+e.RequestID)
	}
	if e.Attempts > 1 {
		facts = append(facts, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if len(facts) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(facts, ", "))
		b.WriteString(")")
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	b.WriteString(".")
	return b.String()
}

// maxDetail bounds the server text copied into an error message.
const maxDetail = 600

// cleanDetail removes secret from text, flattens whitespace and shortens it.
func cleanDetail(text, secret string) string {
	if secret != "" {
		text = strings.ReplaceAll(text, secret, "[REDACTED]")
	}
	text = strings.Join(strings.Fields(text), " ")
	text = strings.TrimRight(text, ".")
	if len(text) > maxDetail {
		cut := maxDetail
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}
