// Package lkps is the provider's client for the LiveKit Platform Service (LKPS) behind Bayer's Ocelot
// gateway: agent registration, session start and health, with typed errors that tell Ocelot's 401/403
// from LKPS's 403/404 and carry the LKPS guides' troubleshooting advice. It also holds the provider's
// own implementation of the LKPS session-start decision (Evaluate).
//
// Every LKPS path and JSON name is in api.go, every advice text in advice.go, and every retry rule in
// retry.go. The package never logs or returns the access token or the LiveKit tokens LKPS issues.
package lkps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "terraform-provider-lkps"

// maxResponseBody bounds how much of a response body is read.
const maxResponseBody = 1 << 20

// Logger receives the client's debug logs; internal/provider adapts it to tflog. Fields never contain
// the Authorization header, the access token, or tokens from responses.
type Logger interface {
	// Debug logs msg with structured fields.
	Debug(ctx context.Context, msg string, fields map[string]any)
}

// Config configures a Client.
type Config struct {
	// BaseURL is the LKPS base URL through Ocelot (Entry.LKPSBaseURL when empty). It must be https,
	// or http on a loopback host.
	BaseURL string
	// Entry is the environment and region the client talks to, used for defaults, advice and links.
	Entry environments.Entry
	// Credential acquires the access token sent to Ocelot. Required.
	Credential azcore.TokenCredential
	// Scope is the token scope for LKPS (Entry.LKPSScope when empty).
	Scope string
	// HTTPClient sends the requests; nil uses a client with a clone of http.DefaultTransport.
	HTTPClient *http.Client
	// UserAgent is the User-Agent header (DefaultUserAgent when empty).
	UserAgent string
	// Retry bounds retries; nil uses DefaultRetryPolicy.
	Retry *RetryPolicy
	// Logger receives debug logs; nil discards them.
	Logger Logger
}

// Client calls LKPS through Ocelot. It is safe for concurrent use.
type Client struct {
	baseURL    string
	entry      environments.Entry
	credential azcore.TokenCredential
	scope      string
	httpClient *http.Client
	userAgent  string
	retry      RetryPolicy
	logger     Logger
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Credential == nil {
		return nil, errors.New("creating LKPS client: a token credential is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = cfg.Entry.LKPSBaseURL
	}
	if base == "" {
		return nil, errors.New("creating LKPS client: no base URL: set Config.BaseURL or Config.Entry")
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("creating LKPS client: parsing base URL %q: %w", base, err)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("creating LKPS client: base URL %q must be an absolute URL without user info, query or fragment", base)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("creating LKPS client: base URL %q uses http; tokens are only sent over https (http is allowed for loopback hosts only)", base)
		}
	default:
		return nil, fmt.Errorf("creating LKPS client: base URL %q must use https", base)
	}
	scope := cfg.Scope
	if scope == "" {
		scope = cfg.Entry.LKPSScope
	}
	if scope == "" {
		return nil, errors.New("creating LKPS client: no token scope: set Config.Scope or Config.Entry")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		transport, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			return nil, errors.New("creating LKPS client: http.DefaultTransport is not an *http.Transport; pass Config.HTTPClient")
		}
		hc = &http.Client{Transport: transport.Clone()}
	}
	// Never follow redirects: a redirected POST turns into a GET, and the token must go only to the
	// configured host. A 3xx is reported as an unexpected response that names the target.
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// Every request gets its own deadline (unless the caller's client sets one), so a hung
	// connection is abandoned and retried instead of using up the operation's budget.
	if noRedirect.Timeout == 0 {
		next := noRedirect.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		noRedirect.Transport = timeoutTransport{next: next, timeout: requestTimeout}
	}
	hc = &noRedirect
	ua := cfg.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	rp := DefaultRetryPolicy()
	if cfg.Retry != nil {
		rp = *cfg.Retry
	}
	return &Client{
		baseURL:    strings.TrimRight(base, "/"),
		entry:      cfg.Entry,
		credential: cfg.Credential,
		scope:      scope,
		httpClient: hc,
		userAgent:  ua,
		retry:      rp.withDefaults(),
		logger:     cfg.Logger,
	}, nil
}

// BaseURL returns the LKPS base URL the client calls.
func (c *Client) BaseURL() string { return c.baseURL }

// Scope returns the token scope the client requests.
func (c *Client) Scope() string { return c.scope }

// Registration is the outcome of an agent registration. It deliberately holds no token: the LiveKit
// token LKPS returns to the agent is discarded, so it cannot reach Terraform state or logs.
type Registration struct {
	// AgentAppID is the agent's client ID as LKPS echoed it in agent_entra_app_id; "" when LKPS did not
	// echo it as a string.
	AgentAppID string
	// EnforceClientAuthz is the flag that was registered: the one requested (true for a nil request, the
	// documented default).
	EnforceClientAuthz bool
	// EchoedEnforceClientAuthz is enforce_client_authz as LKPS echoed it; nil when it did not (readably).
	EchoedEnforceClientAuthz *bool
	// LiveKitURL is the LiveKit server URL LKPS returned (documented; always set).
	LiveKitURL string
	// RegisteredAt is when LKPS recorded the registration; zero when LKPS omits it or uses a form the
	// client cannot read.
	RegisteredAt time.Time
}

// Mismatch is an undocumented field LKPS echoed with another value than the one the registration was
// made with. It is worth a warning, not an error: LKPS has already stored the registration.
type Mismatch struct {
	// Field is the JSON name in LKPS's answer, e.g. "enforce_client_authz".
	Field string
	// Sent is the value the registration was made with; Echoed the value LKPS answered.
	Sent, Echoed string
}

// Mismatches compares the echoed fields with the registration made as agentAppID.
func (r Registration) Mismatches(agentAppID string) []Mismatch {
	var out []Mismatch
	if r.AgentAppID != "" && !strings.EqualFold(strings.TrimSpace(r.AgentAppID), strings.TrimSpace(agentAppID)) {
		// The echo is LKPS's text and goes into a diagnostic: bounded and on one line.
		out = append(out, Mismatch{Field: FieldAgentEntraAppID, Sent: agentAppID, Echoed: cleanDetail(r.AgentAppID, "")})
	}
	if r.EchoedEnforceClientAuthz != nil && *r.EchoedEnforceClientAuthz != r.EnforceClientAuthz {
		out = append(out, Mismatch{Field: FieldEnforceClientAuthz,
			Sent: strconv.FormatBool(r.EnforceClientAuthz), Echoed: strconv.FormatBool(*r.EchoedEnforceClientAuthz)})
	}
	return out
}

// Session is the outcome of a session start. The LiveKit participant token is deliberately not kept.
type Session struct {
	// LiveKitURL is the LiveKit server URL to join.
	LiveKitURL string
	// RoomName is the room LKPS created, when it says.
	RoomName string
	// ExpiresAt is when the session's token expires; zero when LKPS omits it.
	ExpiresAt time.Time
}

// Register registers the calling application as an agent (POST /api/agent/register). LKPS keys the
// registration by the caller's client ID, so the credential must be the agent's own (see VerifyCaller).
// A nil enforce sends "{}" (LKPS's default, enforcement on); otherwise service_config carries the flag.
// Register is an idempotent upsert and is retried on throttling, gateway errors and transport failures.
func (c *Client) Register(ctx context.Context, enforce *bool) (Registration, error) {
	var req registerRequest
	if enforce != nil {
		req.ServiceConfig = &serviceConfig{EnforceClientAuthz: *enforce}
	}
	var body json.RawMessage
	op := operation{name: "register agent", method: http.MethodPost, path: PathAgentRegister, class: retryIdempotent}
	if err := c.do(ctx, op, req, &body); err != nil {
		return Registration{}, err
	}
	fields, liveKitURL, err := c.decodeAnswer(op, body)
	if err != nil {
		return Registration{}, err
	}
	reg := Registration{EnforceClientAuthz: true, LiveKitURL: liveKitURL}
	if enforce != nil {
		reg.EnforceClientAuthz = *enforce
	}
	kept := func(field, why string) {
		c.log(ctx, "LKPS register response: undocumented field kept as unknown", map[string]any{"field": field, "reason": why})
	}
	notA := func(what string) func(json.RawMessage) string {
		return func(json.RawMessage) string { return "not a " + what }
	}
	if id, ok := lenientField(fields, FieldAgentEntraAppID, lenientString, notA("string"), kept); ok {
		reg.AgentAppID = id
	}
	if b, ok := lenientField(fields, FieldEnforceClientAuthz, lenientBool, notA("boolean"), kept); ok {
		reg.EchoedEnforceClientAuthz = &b
	}
	if t, ok := lenientField(fields, fieldRegisteredAt, parseTimestamp, func(raw json.RawMessage) string {
		return "not a timestamp in a known form: " + cleanDetail(string(raw), "")
	}, kept); ok {
		reg.RegisteredAt = t
	}
	return reg, nil
}

// StartSession starts a session with the agent whose client ID is agentAppID (POST /api/session/start),
// as the client application the credential belongs to. Session start is not idempotent: only answers
// that prove the request was not processed (429, 503 with Retry-After) and refused connections are retried.
func (c *Client) StartSession(ctx context.Context, agentAppID string) (Session, error) {
	agentAppID = strings.TrimSpace(agentAppID)
	if agentAppID == "" {
		return Session{}, errors.New("start session: the agent client ID is empty")
	}
	var body json.RawMessage
	op := operation{name: "start session", method: http.MethodPost, path: PathSessionStart, class: retryUnprocessed, agentAppID: agentAppID}
	if err := c.do(ctx, op, sessionStartRequest{AgentEntraAppID: agentAppID}, &body); err != nil {
		return Session{}, err
	}
	fields, liveKitURL, err := c.decodeAnswer(op, body)
	if err != nil {
		return Session{}, err
	}
	s := Session{LiveKitURL: liveKitURL}
	s.RoomName, _ = lenientString(fields[fieldRoomName])
	s.ExpiresAt, _ = parseTimestamp(fields[fieldExpiresAt])
	return s, nil
}

// Health checks GET /api/health through Ocelot, which also proves the token is accepted and the caller
// is on the route's Client Access List. It is retried like Register.
func (c *Client) Health(ctx context.Context) error {
	var resp healthResponse
	op := operation{name: "check LKPS health", method: http.MethodGet, path: PathHealth, class: retryIdempotent}
	if err := c.do(ctx, op, nil, &resp); err != nil {
		return err
	}
	if !strings.EqualFold(resp.Status, healthStatusOK) {
		return c.unexpected(op, fmt.Sprintf("LKPS reports status %q", resp.Status))
	}
	return nil
}

// operation describes one API call.
type operation struct {
	name       string
	method     string
	path       string
	class      retryClass
	agentAppID string
}

// attemptResult is what one HTTP attempt produced: a response or a transport error.
type attemptResult struct {
	status      int
	header      http.Header
	body        []byte
	err         error
	callerAppID string
	audience    string
	token       string
}

// do sends op with body as JSON (nil body: none), retrying per op.class and c.retry, and decodes a 2xx
// body into out.
func (c *Client) do(ctx context.Context, op operation, body any, out any) error {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: encoding request body: %w", op.name, err)
		}
		payload = b
	}
	for attempt := 1; ; attempt++ {
		tok, err := c.credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
		if err != nil {
			return c.newError(op, KindToken, attempt-1, attemptResult{err: err})
		}
		res := c.send(ctx, op, payload, tok.Token, attempt)

		var failure *Error
		retryable := false
		var wait time.Duration
		switch {
		case res.err != nil:
			failure = c.newError(op, KindTransport, attempt, res)
			retryable = retryTransport(op.class, res.err)
		case res.status >= 200 && res.status < 300:
			if out == nil {
				return nil
			}
			if nonJSON := describeNonJSON(res.header, res.body, res.token); nonJSON != "" {
				e := c.newError(op, KindUnexpectedResponse, attempt, res)
				e.NonJSON = nonJSON
				return e
			}
			if err := json.Unmarshal(res.body, out); err != nil {
				e := c.newError(op, KindUnexpectedResponse, attempt, res)
				e.Err = fmt.Errorf("decoding response body: %w", err)
				return e
			}
			return nil
		default:
			failure = c.classify(op, attempt, res)
			retryable = retryStatus(op.class, res.status, res.header)
			if failure.RetryAfter > c.retry.MaxRetryAfter {
				retryable = false
			}
			wait = failure.RetryAfter
		}

		if !retryable || attempt >= c.retry.MaxAttempts {
			return failure
		}
		if wait <= 0 {
			wait = c.retry.backoff(attempt)
		}
		if deadline, ok := ctx.Deadline(); ok && c.retry.Now().Add(wait).After(deadline) {
			c.log(ctx, "LKPS request not retried: the wait would pass the context deadline", map[string]any{
				"method": op.method, "path": op.path, "attempt": attempt, "wait": wait.String(),
			})
			return failure
		}
		c.log(ctx, "LKPS request will be retried", map[string]any{
			"method": op.method, "path": op.path, "attempt": attempt, "wait": wait.String(), "kind": failure.Kind.String(),
		})
		if err := c.retry.Sleep(ctx, wait); err != nil {
			failure.Err = joinCause(failure.Err, err)
			return failure
		}
	}
}

// send makes one HTTP attempt.
func (c *Client) send(ctx context.Context, op operation, payload []byte, token string, attempt int) attemptResult {
	claims, _ := decodeClaims(token)
	res := attemptResult{callerAppID: claims.appID(), audience: claims.Audience, token: token}

	var reader io.Reader
	if payload != nil {
		reader = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, op.method, c.baseURL+op.path, reader)
	if err != nil {
		res.err = fmt.Errorf("building request: %w", err)
		return res
	}
	req.Header.Set(headerAuthorization, "Bearer "+token)
	req.Header.Set(headerAccept, contentTypeJSON)
	req.Header.Set(headerUserAgent, c.userAgent)
	if payload != nil {
		req.Header.Set(headerContentType, contentTypeJSON)
	}

	c.log(ctx, "LKPS request", map[string]any{"method": op.method, "path": op.path, "attempt": attempt})
	start := time.Now()
	resp, err := c.httpClient.Do(req)
	if err != nil {
		res.err = scrubURLError(err)
		c.log(ctx, "LKPS request failed without a response", map[string]any{
			"method": op.method, "path": op.path, "attempt": attempt,
			"duration_ms": time.Since(start).Milliseconds(), "error": res.err.Error(),
		})
		return res
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	res.status = resp.StatusCode
	res.header = resp.Header
	res.body = body
	fields := map[string]any{
		"method": op.method, "path": op.path, "attempt": attempt, "status": resp.StatusCode,
		"duration_ms": time.Since(start).Milliseconds(),
	}
	if id := requestID(resp.Header); id != "" {
		fields["request_id"] = id
	}
	c.log(ctx, "LKPS response", fields)
	if readErr != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		res.err = fmt.Errorf("reading response body: %w", readErr)
	}
	return res
}

// classify turns a non-2xx response into an *Error.
func (c *Client) classify(op operation, attempt int, res attemptResult) *Error {
	parsed := parseErrorBody(res.body)
	nonJSON := describeNonJSON(res.header, res.body, res.token)
	var kind Kind
	source := parsed.source
	switch {
	case nonJSON != "" && (res.status == http.StatusUnauthorized || res.status == http.StatusForbidden):
		// Ocelot and LKPS answer 401/403 in JSON (or with an empty body); a page in another format comes
		// from something in between, and reading it as Ocelot's would send the user to the wrong fix.
		kind = KindUnexpectedResponse
	case res.status == http.StatusUnauthorized:
		// LKPS never validates tokens, so any 401 is Ocelot's.
		kind, source = KindOcelotUnauthorized, SourceOcelot
	case res.status == http.StatusForbidden && parsed.source == SourceLKPS:
		kind = KindClientNotAuthorized
	case res.status == http.StatusForbidden:
		// LKPS always answers with "detail"; a 403 without it comes from the gateway.
		kind, source = KindOcelotForbidden, SourceOcelot
	case res.status == http.StatusNotFound && op.path == PathSessionStart && parsed.source == SourceLKPS:
		kind = KindNotFound
	case res.status == http.StatusTooManyRequests:
		kind = KindThrottled
	case res.status >= 400 && res.status < 500:
		kind = KindInvalidRequest
	case res.status >= 500:
		kind = KindServer
	default:
		kind = KindUnexpectedResponse
	}
	e := c.newError(op, kind, attempt, res)
	e.Source = source
	e.NonJSON = nonJSON
	e.Code = parsed.code
	e.Detail = cleanDetail(parsed.message, res.token)
	if kind == KindClientNotAuthorized {
		e.FailedCheck = parsed.failedCheck
	}
	if kind == KindOcelotUnauthorized {
		ch := parseBearerChallenge(res.header.Get(headerWWWAuthenticate))
		if e.Code == "" {
			e.Code = ch.errorCode
		}
		if e.Detail == "" {
			e.Detail = cleanDetail(ch.description, res.token)
		}
	}
	if kind == KindUnexpectedResponse && e.Detail == "" && nonJSON == "" {
		if loc := res.header.Get(headerLocation); loc != "" && res.status >= 300 && res.status < 400 {
			e.Detail = "redirect to " + cleanDetail(loc, res.token)
		} else {
			e.Detail = cleanDetail(string(res.body), res.token)
		}
	}
	e.RetryAfter = parseRetryAfter(res.header.Get(headerRetryAfter), c.retry.Now())
	return e
}

// newError builds an *Error with the fields every kind shares.
func (c *Client) newError(op operation, kind Kind, attempts int, res attemptResult) *Error {
	e := &Error{
		Kind:          kind,
		Op:            op.name,
		Attempts:      attempts,
		CallerAppID:   res.callerAppID,
		TokenAudience: res.audience,
		AgentAppID:    op.agentAppID,
		env:           c.entry,
		baseURL:       c.baseURL,
		scope:         c.scope,
	}
	if kind != KindToken {
		e.Method, e.URL = op.method, c.baseURL+op.path
	}
	if res.header != nil {
		e.StatusCode = res.status
		e.RequestID = requestID(res.header)
	}
	if res.err != nil {
		e.Err = res.err
	}
	return e
}

// unexpected reports a 2xx response that lacks what the documented contract promises.
// decodeAnswer reads a 2xx answer of register or session start: a JSON object with the documented
// livekit_url (strict), and its other top-level fields for lenient decoding. Failures are unexpected
// responses.
func (c *Client) decodeAnswer(op operation, body []byte) (map[string]json.RawMessage, string, error) {
	fields, err := responseObject(body)
	if err != nil {
		e := c.unexpected(op, "")
		e.Err = err
		return nil, "", e
	}
	liveKitURL, err := strictLiveKitURL(fields)
	if err != nil {
		return nil, "", c.unexpected(op, err.Error())
	}
	return fields, liveKitURL, nil
}

func (c *Client) unexpected(op operation, detail string) *Error {
	e := c.newError(op, KindUnexpectedResponse, 1, attemptResult{})
	e.Detail = detail
	return e
}

// log forwards to the configured Logger, if any.
func (c *Client) log(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger.Debug(ctx, msg, fields)
	}
}

// requestID returns the first request id header present.
func requestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		if v := h.Get(name); v != "" {
			return v
		}
	}
	return ""
}

// scrubURLError drops the *url.Error wrapper's request line, keeping its cause; the URL is already in
// the *Error, and the wrapper would repeat it.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// joinCause adds cause to err without losing either.
func joinCause(err, cause error) error {
	if err == nil {
		return cause
	}
	return errors.Join(err, cause)
}

// isLoopback reports whether host is a loopback name or address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
