// Package graph edits Microsoft Graph application registrations (identifier URIs, scopes and
// pre-authorized clients) without losing an update to whole-list PATCHes, lag or throttling. It is the
// driver (HTTP, timers, goroutines, locks) around the decisions of package core; DESIGN.md ("The Graph
// layer never loses an update") names each rule with the file and function that implement it.
package graph

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
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

// Defaults of Config: the public Microsoft Graph endpoint (without the version segment) and its scope.
const (
	DefaultBaseURL = "https://graph.microsoft.com"
	DefaultScope   = "https://graph.microsoft.com/.default"
	userAgent      = "lkps-graph/1"  // the client's product token, after Config.UserAgent
	tokenRefresh   = 5 * time.Minute // how long before its expiry a cached token is replaced
)

// selectFields are the application properties the client reads ($select keeps responses small).
var selectFields = []string{"id", "appId", "displayName", "identifierUris", "api"}

// Logger receives the client's log lines: Debug a request and its outcome, Warn a retry or a read
// taken as a change made elsewhere. Fields never contain tokens or the Authorization header.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Config is what the provider sets on a Client. Only Credential is required; the engine's bounds are core's.
type Config struct {
	Credential azcore.TokenCredential // obtains tokens for Scope (default DefaultScope)
	Scope      string
	BaseURL    string       // the Graph endpoint without /v1.0 (default DefaultBaseURL), the token's only host
	HTTPClient *http.Client // its transport and timeout (nil: http.DefaultTransport)
	UserAgent  string       // goes in front of the client's own
	Logger     Logger       // receives request and retry logs (nil: none)

	ReplicationLag    time.Duration // L (core/lag.go; zero: core.DefaultReplicationLag, negative: none)
	CommandStart      time.Time     // when the command started (zero, or after New: when New is called)
	ConcurrentWriters bool          // other writers may change the applications: every last write settles
}

// Client edits application registrations through Microsoft Graph. It is safe for concurrent use;
// operations on one application are serialized and grouped by a per-application worker.
type Client struct {
	cfg  Config
	host string       // the Graph host and port, the only ones the token goes to
	http *http.Client // the given transport; no redirects

	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	jitter  func() float64 // core.Backoff's r
	started time.Time      // when the command started (Config.CommandStart), else when the client was built

	tokenMu sync.Mutex
	token   azcore.AccessToken // cached until tokenRefresh

	mu        sync.Mutex
	refs      map[string]*appWorker  // AppRef.Key() → the application's worker
	resolving map[string]*readFlight // AppRef.Key() → lookup in flight
	workers   map[string]*appWorker  // lower-case object ID → worker
	ops       int                    // mutations in flight (operations.go)
	arrival   chan struct{}          // closed when a mutation starts

	// The read batchers: applications by object and client ID, service principals by client ID (ClientVisible).
	byObjectID, byAppID, spByAppID readBatcher
	mutating                       atomic.Bool // set by the first mutation (Mutating)

	statsMu sync.Mutex
	stats   core.Stats   // what the client sent (Stats)
	notices core.Notices // what users should be told although nothing failed (TakeNotices)
	lagSeen core.Lag     // the declared bound and the longest lag observed (noteLag)
}

// New builds a Client. Only the credential is required.
func New(cfg Config) (*Client, error) {
	if cfg.Credential == nil {
		return nil, errors.New("graph client: a credential is required")
	}
	cfg.BaseURL = strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/")
	cfg.Scope = cmp.Or(cfg.Scope, DefaultScope)

	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("graph client: parsing base URL %q: %w", cfg.BaseURL, err)
	}
	if base.Scheme != "https" || base.Hostname() == "" {
		return nil, fmt.Errorf("graph client: base URL %q must be an absolute https URL", cfg.BaseURL)
	}
	c := &Client{
		cfg:       cfg,
		host:      base.Host,
		now:       time.Now,
		sleep:     func(ctx context.Context, d time.Duration) error { return await(ctx, time.After(d)) },
		jitter:    rand.Float64,
		refs:      make(map[string]*appWorker),
		resolving: make(map[string]*readFlight),
		workers:   make(map[string]*appWorker),
		arrival:   make(chan struct{}),
		stats:     core.Stats{Retries: make(map[core.RetryReason]int64)},
		lagSeen:   core.Lag{Declared: cmp.Or(cfg.ReplicationLag, core.DefaultReplicationLag)},
	}
	c.started = c.now()
	if !cfg.CommandStart.IsZero() && cfg.CommandStart.Before(c.started) {
		c.started = cfg.CommandStart
	}
	c.byObjectID = readBatcher{c: c, prop: "id", coll: "/applications", sel: selectFields}
	c.byAppID = readBatcher{c: c, prop: "appId", coll: "/applications", sel: selectFields}
	c.spByAppID = readBatcher{c: c, prop: "appId", coll: "/servicePrincipals", sel: []string{"id", "appId"}}
	// A redirect is answered as it came (an APIError): Graph sends none to these calls, and following one
	// could turn a PATCH into a GET or take the token elsewhere.
	given := cmp.Or(cfg.HTTPClient, &http.Client{})
	c.http = &http.Client{Transport: given.Transport, Timeout: given.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c, nil
}

// bearer returns a token for Config.Scope, cached until its RefreshOn or tokenRefresh before expiry; never logged.
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

// do sends one request to u (a URL on the Graph host, or a path under v1.0) with body as JSON (nil:
// none), decoding the answer into out (nil: ignored) or an error answer (model.ErrorFromResponse).
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
	count := &c.stats.Gets // do sends GETs and PATCHes only
	if method == http.MethodPatch {
		count = &c.stats.Patches
	}
	c.tally(func() { *count++ })
	start := time.Now()
	resp, err := c.http.Do(req)
	if c.cfg.Logger != nil { // never the Authorization header
		fields := map[string]any{"method": method, "path": req.URL.Path, "attempt": attemptFrom(ctx),
			"duration_ms": time.Since(start).Milliseconds()}
		if err != nil {
			fields["error"] = err.Error()
		} else {
			fields["status"], fields["request_id"] = resp.StatusCode, resp.Header.Get("request-id")
		}
		c.cfg.Logger.Debug(ctx, "Microsoft Graph request", fields)
	}
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

// lag is the lag model (core.Lag) as of now.
func (c *Client) lag() (l core.Lag) {
	c.tally(func() { l = c.lagSeen })
	return l
}

// noteLag records that a read missed a write made d ago (core.Lag.Widen).
func (c *Client) noteLag(d time.Duration) {
	c.tally(func() { c.lagSeen.Observed = c.lagSeen.Widen(d) })
}

// sleepUntil waits until t, counting reason when there is a wait at all.
func (c *Client) sleepUntil(ctx context.Context, t time.Time, reason core.RetryReason) error {
	wait := t.Sub(c.now())
	if wait <= 0 {
		return nil
	}
	c.addRetry(reason)
	return c.sleep(ctx, wait)
}

// tally runs f under the lock of the counters, the notices and the lag model.
func (c *Client) tally(f func()) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	f()
}

// addRetry counts a retry (or a wait) for reason r.
func (c *Client) addRetry(r core.RetryReason) { c.tally(func() { c.stats.Retries[r]++ }) }

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() (s core.Stats) {
	c.tally(func() { s, s.Retries = c.stats, maps.Clone(c.stats.Retries) })
	return s
}

// notify records n once (by kind, application and detail).
func (c *Client) notify(n core.Notice) { c.tally(func() { c.notices.Add(n) }) }

// TakeNotices returns the notices not taken yet; each notice is returned once.
func (c *Client) TakeNotices() (taken []core.Notice) {
	c.tally(func() { taken = c.notices.Take() })
	return taken
}

// markForeignLocked records that another writer changed the application. Caller holds w.mu.
func (w *appWorker) markForeignLocked() {
	if !w.foreign && !w.c.cfg.ConcurrentWriters {
		w.c.notify(core.Notice{Kind: core.NoticeForeignWriter, ObjectID: w.objectID})
	}
	w.foreign = true
}

// notConfirmed tells the user that the change of operation name, answered as made, is not in Graph.
func (w *appWorker) notConfirmed(name string, err error) {
	w.c.notify(core.Notice{Kind: core.NoticeNotConfirmed, ObjectID: w.objectID, Detail: fmt.Sprintf("%s: %v", name, err),
		Forbidden: errors.As(err, new(*model.ForbiddenError))})
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
