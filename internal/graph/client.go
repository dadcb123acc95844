package graph

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Defaults of Config: the public Microsoft Graph endpoint (without the version segment) and its
// token scope.
const (
	DefaultBaseURL = "https://graph.microsoft.com"
	DefaultScope   = "https://graph.microsoft.com/.default"
)

const (
	userAgent    = "lkps-graph/1"  // the client's product token, after Config.UserAgent
	tokenRefresh = 5 * time.Minute // how long before its expiry a cached token is replaced
)

// selectFields are the application properties the client reads ($select keeps responses small).
var selectFields = []string{"id", "appId", "displayName", "identifierUris", "api"}

// Logger receives the client's log lines: Debug a request and its outcome, Warn a retry or a read
// taken as a change made elsewhere. Fields never contain tokens or the Authorization header.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Config configures a Client: what the provider sets. Only Credential is required. Every other
// bound of the engine is core's (core/lag.go, core/retry.go, core/batchread.go).
type Config struct {
	// Credential obtains tokens for Microsoft Graph, for Scope (default DefaultScope).
	Credential azcore.TokenCredential
	Scope      string
	// BaseURL is the Graph endpoint without the version segment (default DefaultBaseURL); the token
	// is sent only to its host.
	BaseURL string
	// HTTPClient supplies the transport (one that trusts the emulator's CA) and its timeout; nil
	// means http.DefaultTransport. UserAgent goes in front of the client's own (userAgent), such as
	// "terraform-provider-lkps/1.2.3". Logger receives request and retry logs (nil: none).
	HTTPClient *http.Client
	UserAgent  string
	Logger     Logger
	// ReplicationLag is L, the bound on the directory's replication lag every window derives from
	// (core/lag.go; zero: core.DefaultReplicationLag, negative: none). Set below the real lag, it weakens
	// every guarantee: a Read may miss an item an earlier command created, and a write may be built on
	// a replica that misses an earlier command's change.
	ReplicationLag time.Duration
	// CommandStart is when the command this client serves started: every change an earlier command
	// reported is older. Zero, or a time after New, means when New is called (always safe).
	CommandStart time.Time
	// ConcurrentWriters says other writers may change the applications at the same time: every
	// operation's last write settles (settle.go), not only on applications where this client saw one.
	ConcurrentWriters bool
	// Caller is the kind of identity the credential signs in as; ForbiddenError says what to grant.
	Caller model.CallerKind
}

// Client edits application registrations through Microsoft Graph. It is safe for concurrent use;
// operations on one application are serialized and grouped by a per-application worker.
type Client struct {
	cfg   Config
	host  string       // the Graph host and port, the only ones the token goes to
	http  *http.Client // observingTransport under the given transport, no redirects
	stats statsCollector
	// observedLag is the longest replication lag seen, in nanoseconds (noteLag).
	observedLag atomic.Int64

	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	started time.Time    // when the command started (Config.CommandStart), else when the client was built
	backoff core.Backoff // the delays between retries (core.Backoff's defaults)

	tokenMu sync.Mutex
	token   azcore.AccessToken // cached until tokenRefresh

	mu        sync.Mutex
	refs      map[string]string      // AppRef.Key() → lower-case object ID
	resolving map[string]*readFlight // AppRef.Key() → lookup in flight
	workers   map[string]*appWorker  // lower-case object ID → worker

	reads readBatchers // reads of single objects waiting for their request

	mutating atomic.Bool // set by the first mutation (Mutating)
	opsMu    sync.Mutex
	ops      int           // mutations in flight (settle.go)
	arrival  chan struct{} // closed when a mutation starts
}

// New builds a Client. Only the credential is required.
func New(cfg Config) (*Client, error) {
	if cfg.Credential == nil {
		return nil, errors.New("graph client: a credential is required")
	}
	cfg.BaseURL = strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/")
	cfg.Scope = cmp.Or(cfg.Scope, DefaultScope)
	cfg.ReplicationLag = cmp.Or(cfg.ReplicationLag, core.DefaultReplicationLag)

	if _, err := core.Host(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}
	base, _ := url.Parse(cfg.BaseURL) // parsed by core.Host

	c := &Client{
		cfg:       cfg,
		host:      base.Host,
		now:       time.Now,
		backoff:   core.Backoff{}.WithDefaults(),
		sleep:     sleepCtx,
		refs:      make(map[string]string),
		resolving: make(map[string]*readFlight),
		workers:   make(map[string]*appWorker),
		stats:     statsCollector{retries: make(map[core.RetryReason]int64)},
	}
	c.started = c.now()
	if !cfg.CommandStart.IsZero() && cfg.CommandStart.Before(c.started) {
		c.started = cfg.CommandStart
	}
	c.reads.init(c)
	given := cmp.Or(cfg.HTTPClient, &http.Client{})
	c.http = &http.Client{Transport: &observingTransport{next: cmp.Or(given.Transport, http.DefaultTransport), c: c},
		Timeout: given.Timeout, CheckRedirect: noRedirects}
	return c, nil
}

// noRedirects answers a redirect as it came (an APIError): Graph sends none to these calls, and
// following one could turn a PATCH into a GET or take the token elsewhere.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// bearer returns a token for Config.Scope, the cached one until tokenRefresh before it expires (or
// the credential's RefreshOn). It is never logged.
func (c *Client) bearer(ctx context.Context) (string, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token.Token == "" || !time.Now().Before(cmp.Or(c.token.RefreshOn, c.token.ExpiresOn.Add(-tokenRefresh))) {
		tok, err := c.cfg.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.cfg.Scope}})
		if err != nil {
			return "", fmt.Errorf("getting a token for Microsoft Graph: %w", err)
		}
		c.token = tok
	}
	return c.token.Token, nil
}

// query is "?$select=…" and, when filter is set, "&$filter=…", each value escaped.
func query(filter string, sel ...string) string {
	esc := func(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }
	q := "?$select=" + esc(strings.Join(sel, ","))
	if filter != "" {
		q += "&$filter=" + esc(filter)
	}
	return q
}

// do sends one request to u (a URL on the Graph host, or a path under its v1.0 endpoint) with body
// as JSON (nil: none) and decodes the answer into out (nil: ignored); an error answer becomes
// model.ErrorFromResponse's typed error.
func (c *Client) do(ctx context.Context, method, u string, body []byte, out any) error {
	if strings.HasPrefix(u, "/") {
		u = c.cfg.BaseURL + "/v1.0" + u
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if req.URL.Scheme != "https" || !strings.EqualFold(req.URL.Host, c.host) {
		return fmt.Errorf("refusing to send a Microsoft Graph token to %s, which is not the Graph host %s", req.URL.Redacted(), c.host)
	}
	tok, err := c.bearer(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", strings.TrimSpace(c.cfg.UserAgent+" "+userAgent))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return err
	case resp.StatusCode >= 300:
		return model.ErrorFromResponse(resp.StatusCode, resp.Header.Get, data, time.Now())
	case out == nil:
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("reading Microsoft Graph's answer to %s %s: %w", method, req.URL.Path, err)
	}
	return nil
}

// observingTransport counts and logs every request Graph sees, never its Authorization header.
type observingTransport struct {
	next http.RoundTripper
	c    *Client
}

// RoundTrip sends the request and records it.
func (t *observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet:
		t.c.stats.gets.Add(1)
	case http.MethodPatch:
		t.c.stats.patches.Add(1)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if log := t.c.cfg.Logger; log != nil {
		fields := map[string]any{
			"method":      req.Method,
			"path":        req.URL.Path,
			"attempt":     attemptFrom(req.Context()),
			"duration_ms": time.Since(start).Milliseconds(),
		}
		if err != nil {
			fields["error"] = err.Error()
		} else {
			fields["status"] = resp.StatusCode
			fields["request_id"] = resp.Header.Get("request-id")
		}
		log.Debug(req.Context(), "Microsoft Graph request", fields)
	}
	return resp, err
}

func (c *Client) logWarn(ctx context.Context, msg string, fields map[string]any) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.Warn(ctx, msg, fields)
	}
}

// withTimeout applies core.DefaultTimeout to a context without a deadline.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, core.DefaultTimeout)
}

// patchByObjectID sends one PATCH applications/{id}.
func (c *Client) patchByObjectID(ctx context.Context, objectID string, body []byte) error {
	return c.do(ctx, http.MethodPatch, "/applications/"+url.PathEscape(objectID), body, nil)
}

// list sends one GET of a collection (u as do takes it) and returns one page's objects and the
// next page's link ("" when none).
func (c *Client) list(ctx context.Context, u string) ([]*model.Object, string, error) {
	var page struct {
		Value []*model.Object
		Next  string `json:"@odata.nextLink"`
	}
	err := c.do(ctx, http.MethodGet, u, nil, &page)
	return page.Value, page.Next, err
}
