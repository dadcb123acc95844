package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
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

// Defaults of Config: the public Microsoft Graph endpoint (without the version segment) and its
// token scope.
const (
	DefaultBaseURL = "https://graph.microsoft.com"
	DefaultScope   = "https://graph.microsoft.com/.default"
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
	// means http.DefaultTransport. UserAgent goes in front of the SDK's, such as
	// "terraform-provider-lkps/1.2.3". Logger receives request and retry logs (nil: none).
	HTTPClient *http.Client
	UserAgent  string
	Logger     Logger
	// ReplicationLag is L, the bound on the directory's replication lag every window derives from
	// (core/lag.go; zero: DefaultReplicationLag, negative: none). Set below the real lag, it weakens
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
	Caller CallerKind
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
	started time.Time    // when the command started (Config.CommandStart), else when the client was built
	backoff core.Backoff // the delays between retries (core.Backoff's defaults)

	mu        sync.Mutex
	refs      map[string]string         // AppRef.Key() → lower-case object ID
	resolving map[string]*resolveFlight // AppRef.Key() → lookup in flight
	workers   map[string]*appWorker     // lower-case object ID → worker

	noticesMu sync.Mutex
	notices   core.Notices // what users should be told although nothing failed
	reads     readBatchers // reads of single objects waiting for their request

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
	cfg.ReplicationLag = cmp.Or(cfg.ReplicationLag, DefaultReplicationLag)

	host, err := core.Host(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}

	c := &Client{
		cfg:       cfg,
		now:       time.Now,
		backoff:   Backoff{}.WithDefaults(),
		sleep:     sleepCtx,
		refs:      make(map[string]string),
		resolving: make(map[string]*resolveFlight),
		workers:   make(map[string]*appWorker),
	}
	c.started = c.now()
	if !cfg.CommandStart.IsZero() && cfg.CommandStart.Before(c.started) {
		c.started = cfg.CommandStart
	}
	c.reads.init(c)
	if c.adapter, err = c.newRequestAdapter(host); err != nil {
		return nil, err
	}
	return c, nil
}

// newRequestAdapter builds the kiota request adapter: tokens only for the Graph host (kiota silently
// sends none to other hosts), and kiota's default middleware without its RetryHandler (core/retry.go
// is the one retry policy) and its CompressionHandler (a gzip writer per PATCH cost more CPU than
// the few kilobytes of a body are worth; DESIGN.md).
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

// observingTransport sits below kiota's middleware: it counts and logs every request Graph sees and
// sets the configured User-Agent. It never reads or logs the Authorization header.
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
