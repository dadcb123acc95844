package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azureauth "github.com/microsoft/kiota-authentication-azure-go"
	nethttplibrary "github.com/microsoft/kiota-http-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
)

// Defaults of Config.
const (
	// DefaultBaseURL is the public Microsoft Graph endpoint (without the version segment).
	DefaultBaseURL = "https://graph.microsoft.com"
	// DefaultScope is the token scope for Microsoft Graph.
	DefaultScope = "https://graph.microsoft.com/.default"
)

// selectFields are the application properties the client reads ($select keeps responses small).
var selectFields = []string{"id", "appId", "displayName", "identifierUris", "api"}

// Logger receives the client's log lines. Fields never contain tokens or the Authorization header.
type Logger interface {
	// Debug logs a request and its outcome.
	Debug(ctx context.Context, msg string, fields map[string]any)
	// Warn logs a retry or a read that had to be taken as a change made elsewhere.
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Config configures a Client.
type Config struct {
	// Credential obtains tokens for Microsoft Graph. Required.
	Credential azcore.TokenCredential
	// BaseURL is the Graph endpoint without the version segment (default DefaultBaseURL). The
	// client calls <BaseURL>/v1.0 and sends its token only to this host.
	BaseURL string
	// Scope is the token scope (default DefaultScope).
	Scope string
	// HTTPClient supplies the transport (for example one that trusts the emulator's CA) and its
	// timeout. Nil means http.DefaultTransport without a timeout beyond the context.
	HTTPClient *http.Client
	// UserAgent is put in front of the SDK's User-Agent, such as "terraform-provider-lkps/1.2.3".
	UserAgent string
	// Logger receives request and retry logs; nil disables logging.
	Logger Logger
	// Backoff shapes the delays between retries.
	Backoff Backoff
	// FirstLookupWindow bounds 404 retries for applications this process has not written to
	// (default core.DefaultFirstLookupWindow).
	FirstLookupWindow time.Duration
	// ReadReuse is how long one read of an application serves later reads while this process wrote
	// nothing since (default core.DefaultReadReuse; negative means never).
	ReadReuse time.Duration
	// DisableReadBatching sends every read of an application as its own GET instead of letting reads
	// of different applications share one GET /applications?$filter=id in (…) (batchread.go).
	DisableReadBatching bool
	// RequestTimeout bounds one HTTP request (default core.DefaultRequestTimeout; negative means none);
	// a request that times out is retried like a dropped connection.
	RequestTimeout time.Duration
	// MaxReapply bounds how often a change another writer overwrote is applied again before the
	// operation fails (default core.DefaultMaxReapply).
	MaxReapply int
	// ReplicationLag is L, the bound on the directory's replication lag that every window derives
	// from (core/lag.go): a read started at t shows every write committed before t-L. Zero means
	// DefaultReplicationLag; negative means no lag (one read decides). Set below the real lag, it
	// weakens every guarantee: a Read may miss an item an earlier command created, and a write may
	// be built on a replica that misses an earlier command's change.
	ReplicationLag time.Duration
	// CommandStart is when the command this client serves started: every change an earlier command
	// reported is older. Zero, or a time after New, means when New is called (always safe).
	CommandStart time.Time
	// ConcurrentWriters says that other writers may change the applications at the same time: every
	// operation's last write then settles (settle.go). Without it, only an application on which this
	// client saw another writer's change settles.
	ConcurrentWriters bool
	// Caller says what kind of identity the credential signs in as; ForbiddenError says what to grant
	// accordingly. Zero means unknown.
	Caller CallerKind
	// WriteReuse is how old a read of an application may be for a round to build its PATCH on it
	// without a GET, while no other writer was seen on it (default core.DefaultWriteReuse; negative means
	// every round reads).
	WriteReuse time.Duration
	// VisibilityWindow is how long a request made only of ClientVisible lookups waits, from the oldest
	// one's arrival, for more lookups to share one filtered list (default core.DefaultVisibilityWindow);
	// another read, or MaxVisibilityBatch IDs waiting, ends the wait.
	VisibilityWindow time.Duration
}

// Client edits application registrations through Microsoft Graph. It is safe for concurrent use;
// operations on one application are serialized and grouped by a per-application worker.
type Client struct {
	cfg     Config
	adapter *nethttplibrary.NetHttpRequestAdapter
	stats   statsCollector
	// observedLag is the longest replication lag seen, in nanoseconds (noteLag).
	observedLag atomic.Int64

	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	started time.Time // when the command started (Config.CommandStart), else when the client was built

	randMu sync.Mutex
	rnd    *rand.Rand

	mu        sync.Mutex
	refs      map[string]string         // AppRef.Key() → lower-case object ID
	resolving map[string]*resolveFlight // AppRef.Key() → lookup in flight
	workers   map[string]*appWorker     // lower-case object ID → worker

	notices noticeBoard  // what users should be told although nothing failed
	reads   readBatchers // reads of single objects waiting for their request

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
	// Zero means the default; a negative value keeps its documented meaning, except where only a
	// positive one makes sense (positiveOr).
	cfg.BaseURL = strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/")
	cfg.Scope = cmp.Or(cfg.Scope, DefaultScope)
	cfg.ReadReuse = cmp.Or(cfg.ReadReuse, core.DefaultReadReuse)
	cfg.RequestTimeout = cmp.Or(cfg.RequestTimeout, core.DefaultRequestTimeout)
	cfg.ReplicationLag = cmp.Or(cfg.ReplicationLag, DefaultReplicationLag)
	cfg.WriteReuse = cmp.Or(cfg.WriteReuse, core.DefaultWriteReuse)
	cfg.FirstLookupWindow = positiveOr(cfg.FirstLookupWindow, core.DefaultFirstLookupWindow)
	cfg.MaxReapply = positiveOr(cfg.MaxReapply, core.DefaultMaxReapply)
	if cfg.VisibilityWindow <= 0 {
		cfg.VisibilityWindow = core.DefaultVisibilityWindow
	}
	cfg.Backoff = cfg.Backoff.WithDefaults()

	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("graph client: parsing base URL %q: %w", cfg.BaseURL, err)
	}
	if u.Scheme != "https" || u.Hostname() == "" {
		return nil, fmt.Errorf("graph client: base URL %q must be an absolute https URL", cfg.BaseURL)
	}

	c := &Client{
		cfg:       cfg,
		now:       time.Now,
		sleep:     sleepCtx,
		rnd:       rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15)), //nolint:gosec // jitter, not security
		refs:      make(map[string]string),
		resolving: make(map[string]*resolveFlight),
		workers:   make(map[string]*appWorker),
	}
	c.started = c.now()
	if !cfg.CommandStart.IsZero() && cfg.CommandStart.Before(c.started) {
		c.started = cfg.CommandStart
	}
	c.reads.init(c)
	if c.adapter, err = c.newRequestAdapter(u.Hostname()); err != nil {
		return nil, err
	}
	return c, nil
}

// positiveOr returns v when it is positive, else def.
func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// newRequestAdapter builds the kiota request adapter: tokens only for the Graph host (kiota silently
// sends none to other hosts), and kiota's default middleware WITHOUT its RetryHandler, so core/retry.go is
// the only retry policy, and without its CompressionHandler, whose gzip writer per PATCH cost more CPU
// than the few kilobytes of a body are worth (DESIGN.md).
func (c *Client) newRequestAdapter(host string) (*nethttplibrary.NetHttpRequestAdapter, error) {
	auth, err := azureauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
		c.cfg.Credential, []string{c.cfg.Scope}, []string{host})
	if err != nil {
		return nil, fmt.Errorf("graph client: building the authentication provider: %w", err)
	}
	given := cmp.Or(c.cfg.HTTPClient, &http.Client{})
	parent := cmp.Or(given.Transport, http.DefaultTransport)
	middlewares := []nethttplibrary.Middleware{
		nethttplibrary.NewRedirectHandler(),
		nethttplibrary.NewParametersNameDecodingHandler(),
		nethttplibrary.NewUserAgentHandler(),
		nethttplibrary.NewHeadersInspectionHandler(),
	}
	httpClient := &http.Client{
		Transport: nethttplibrary.NewCustomTransportWithParentTransport(&observingTransport{next: parent, c: c}, middlewares...),
		Timeout:   given.Timeout,
		// The redirect middleware follows redirects; net/http must hand them over untouched.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	adapter, err := nethttplibrary.NewNetHttpRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, jsonserialization.NewJsonParseNodeFactory(), jsonserialization.NewJsonSerializationWriterFactory(), httpClient)
	if err != nil {
		return nil, fmt.Errorf("graph client: building the request adapter: %w", err)
	}
	adapter.SetBaseUrl(c.cfg.BaseURL + "/v1.0")
	return adapter, nil
}

// observingTransport sits below kiota's middleware: it counts and logs every request Graph sees
// (method, path, status, request-id, attempt) and sets the configured User-Agent. It never reads
// or logs the Authorization header.
type observingTransport struct {
	next http.RoundTripper
	c    *Client
}

// RoundTrip sends the request and records it.
func (t *observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if ua := t.c.cfg.UserAgent; ua != "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", strings.TrimSpace(ua+" "+req.Header.Get("User-Agent")))
	}
	switch req.Method {
	case http.MethodGet:
		t.c.stats.gets.Add(1)
	case http.MethodPatch:
		t.c.stats.patches.Add(1)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
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
	t.c.logDebug(req.Context(), "Microsoft Graph request", fields)
	return resp, err
}

func (c *Client) logDebug(ctx context.Context, msg string, fields map[string]any) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug(ctx, msg, fields)
	}
}

func (c *Client) logWarn(ctx context.Context, msg string, fields map[string]any) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.Warn(ctx, msg, fields)
	}
}

func (c *Client) random() float64 {
	c.randMu.Lock()
	defer c.randMu.Unlock()
	return c.rnd.Float64()
}

// withTimeout applies core.DefaultTimeout to a context without a deadline.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, core.DefaultTimeout)
}

// getByObjectID sends one GET applications/{id}.
func (c *Client) getByObjectID(ctx context.Context, objectID string) (models.Applicationable, error) {
	return applications.NewApplicationsRequestBuilderInternal(map[string]string{}, c.adapter).
		ByApplicationId(objectID).
		Get(ctx, &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: selectFields},
		})
}

// getByAppID sends one GET applications(appId='…').
func (c *Client) getByAppID(ctx context.Context, appID string) (models.Applicationable, error) {
	return applicationswithappid.NewApplicationsWithAppIdRequestBuilderInternal(map[string]string{}, c.adapter, &appID).
		Get(ctx, &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration{
			QueryParameters: &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetQueryParameters{Select: selectFields},
		})
}

// patchByObjectID sends one PATCH applications/{id}.
func (c *Client) patchByObjectID(ctx context.Context, objectID string, body models.Applicationable) error {
	_, err := applications.NewApplicationsRequestBuilderInternal(map[string]string{}, c.adapter).
		ByApplicationId(objectID).
		Patch(ctx, body, nil)
	return err
}
