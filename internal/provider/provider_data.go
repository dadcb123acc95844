package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// providerData is what Configure hands to every resource and data source. Clients that need a login are
// built lazily, on first use, so that data sources which need no credentials work without any.
type providerData struct {
	entry      environments.Entry
	userAgent  string
	httpClient *http.Client
	authOpts   auth.Options

	// credential is the provider's identity; credentialErr says why there is none. Building it makes
	// no network call; the first token request does.
	credential    azcore.TokenCredential
	method        auth.Method
	credentialErr error

	// graphSettings and commandStart configure the Graph client (graph_settings.go, command_start.go).
	graphSettings graphSettings
	commandStart  time.Time

	graphOnce   sync.Once
	graphClient *graph.Client
	graphErr    error
}

// newProviderData resolves the provider block against the environment variables: configuration wins.
func newProviderData(_ context.Context, m providerModel, getenv func(string) string, ua string) (*providerData, diag.Diagnostics) {
	var diags diag.Diagnostics
	pick := func(v types.String, env string) string {
		if isSet(v) {
			return v.ValueString()
		}
		return getenv(env)
	}
	overrides := environments.Overrides{
		Environment:   pick(m.Environment, environments.EnvEnvironment),
		Region:        pick(m.Region, environments.EnvRegion),
		LKPSBaseURL:   pick(m.LKPSBaseURL, environments.EnvLKPSBaseURL),
		GraphBaseURL:  pick(m.GraphBaseURL, environments.EnvGraphBaseURL),
		AuthorityHost: pick(m.AuthorityHost, environments.EnvAuthorityHost),
		LKPSScope:     pick(m.LKPSTokenScope, environments.EnvLKPSTokenScope),
		TenantID:      pick(m.TenantID, "ARM_TENANT_ID"),
	}
	entry, err := environments.Resolve(overrides)
	if err != nil {
		var fe *environments.FieldError
		if errors.As(err, &fe) {
			attr, env := overrideAttribute(fe.Field)
			diags.AddAttributeError(path.Root(attr), "Invalid provider setting",
				fmt.Sprintf("%s. Set the provider attribute %q (or the %s environment variable) accordingly.", fe.Message, attr, env))
		} else {
			diags.AddError("Invalid provider settings", err.Error())
		}
		return nil, diags
	}
	gs, gdiags := resolveGraphSettings(m.GraphReplicationLag, m.ConcurrentWriters, getenv)
	diags.Append(gdiags...)
	if diags.HasError() {
		return nil, diags
	}
	data := &providerData{
		entry:         entry,
		userAgent:     ua,
		httpClient:    &http.Client{Transport: http.DefaultTransport},
		graphSettings: gs,
		commandStart:  commandStart(getenv, time.Now()),
	}
	data.authOpts = auth.Options{
		AuthorityHost: entry.AuthorityHost,
		Transport:     data.httpClient,
		UserAgent:     ua,
		TenantID:      entry.TenantID,
	}
	settings := auth.Merge(m.authSettings(), auth.FromEnv(getenv))
	data.credential, data.method, data.credentialErr = auth.NewCredential(context.Background(), settings, data.authOpts)
	// A credential error (for example use_cli = false with no other method, or a half-set ARM_*
	// environment shared with other tools) is reported only when a resource needs a login, on that
	// resource, so that the data sources that need none keep working. Conflicting attributes are caught
	// earlier, by ValidateConfig.
	return data, diags
}

// authSettings maps the provider block's authentication attributes; null means "not configured".
func (m providerModel) authSettings() auth.Settings {
	str := func(v types.String) *string {
		if !isSet(v) {
			return nil
		}
		s := v.ValueString()
		return &s
	}
	boolean := func(v types.Bool) *bool {
		if !isSet(v) {
			return nil
		}
		b := v.ValueBool()
		return &b
	}
	return auth.Settings{
		TenantID:                  str(m.TenantID),
		ClientID:                  str(m.ClientID),
		ClientIDFilePath:          str(m.ClientIDFilePath),
		ClientSecret:              str(m.ClientSecret),
		ClientSecretFilePath:      str(m.ClientSecretFilePath),
		ClientCertificate:         str(m.ClientCertificate),
		ClientCertificatePath:     str(m.ClientCertificatePath),
		ClientCertificatePassword: str(m.ClientCertificatePassword),
		UseOIDC:                   boolean(m.UseOIDC),
		OIDCToken:                 str(m.OIDCToken),
		OIDCTokenFilePath:         str(m.OIDCTokenFilePath),
		OIDCRequestURL:            str(m.OIDCRequestURL),
		OIDCRequestToken:          str(m.OIDCRequestToken),
		ADOServiceConnectionID:    str(m.ADOServiceConnectionID),
		UseAKSWorkloadIdentity:    boolean(m.UseAKSWorkloadIdentity),
		UseMSI:                    boolean(m.UseMSI),
		MSIEndpoint:               str(m.MSIEndpoint),
		UseCLI:                    boolean(m.UseCLI),
		AuthorityHost:             str(m.AuthorityHost),
	}
}

// graphWithin bounds ctx by an operation's timeout (get is for example plan.Timeouts.Create; def applies
// when the timeouts block does not set it) and returns the Graph client: the preamble of every CRUD
// method of the Entra resources.
func (d *providerData) graphWithin(ctx context.Context, get timeoutGetter, def time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc, *graph.Client, bool) {
	ctx, cancel, ok := withTimeout(ctx, get, def, diags)
	if !ok {
		return ctx, cancel, nil, false
	}
	client, ok := d.graph(ctx, diags)
	if !ok {
		cancel()
		return ctx, func() {}, nil, false
	}
	// The operation's deferred cancel also reports what the Graph client noticed meanwhile.
	return ctx, func() { cancel(); addGraphNotices(client.TakeNotices(), diags) }, client, true
}

// graphOperation names the CRUD operation of an Entra resource whose timeout graphFor applies.
type graphOperation string

const (
	opCreate graphOperation = "create"
	opRead   graphOperation = "read"
	opUpdate graphOperation = "update"
	opDelete graphOperation = "delete"
)

// timedModel is a resource model with a timeouts block.
type timedModel interface{ timeoutsBlock() timeouts.Value }

// graphFor is the preamble of every CRUD method of the Entra resources: it reads the plan or state into
// m (get is req.Plan.Get or req.State.Get), then bounds ctx by m's timeout for op (defaultReadTimeout
// for a read, defaultWriteTimeout otherwise, when the block does not set it) and returns the Graph
// client, as graphWithin does.
func (d *providerData) graphFor(ctx context.Context, get func(context.Context, any) diag.Diagnostics, m timedModel, op graphOperation, diags *diag.Diagnostics) (context.Context, context.CancelFunc, *graph.Client, bool) {
	diags.Append(get(ctx, m)...)
	if diags.HasError() {
		return ctx, func() {}, nil, false
	}
	t := m.timeoutsBlock()
	switch op {
	case opCreate:
		return d.graphWithin(ctx, t.Create, defaultWriteTimeout, diags)
	case opRead:
		return d.graphWithin(ctx, t.Read, defaultReadTimeout, diags)
	case opUpdate:
		return d.graphWithin(ctx, t.Update, defaultWriteTimeout, diags)
	default:
		return d.graphWithin(ctx, t.Delete, defaultWriteTimeout, diags)
	}
}

// graphClientBuilt, when set (by tests, before any provider runs), is told of every Microsoft Graph
// client the provider builds, so that tests can report the client's request and retry counters.
var graphClientBuilt func(baseURL string, c *graph.Client)

// graph returns the provider's Microsoft Graph client, built on first use and shared by every resource,
// so that edits of one application from sibling resources are serialized and grouped.
func (d *providerData) graph(ctx context.Context, diags *diag.Diagnostics) (*graph.Client, bool) {
	if d == nil {
		diags.AddError("Provider not configured",
			"The lkps provider was not configured before a resource used it. This is a bug in the provider; please report it.")
		return nil, false
	}
	if d.credentialErr != nil {
		diags.AddError("No usable credentials for Microsoft Graph",
			fmt.Sprintf("The provider could not set up its identity: %s.\n\nSee the provider documentation, \"Authentication\", "+
				"for the settings of each method and their ARM_* environment variables.", d.credentialErr))
		return nil, false
	}
	d.graphOnce.Do(func() {
		tflog.Debug(ctx, "Building the Microsoft Graph client", map[string]any{
			"graph_base_url": d.entry.GraphBaseURL, "auth_method": d.method.Description(),
			"graph_replication_lag": d.graphSettings.lag.String(), "concurrent_writers": d.graphSettings.concurrentWriters,
			"command_start_known": !d.commandStart.IsZero(),
		})
		d.graphClient, d.graphErr = graph.New(graph.Config{
			Credential: d.credential,
			BaseURL:    d.entry.GraphBaseURL,
			Scope:      graphScope(d.entry.GraphBaseURL),
			HTTPClient: d.httpClient,
			UserAgent:  d.userAgent,
			Logger:     tflogLogger{},
			Caller:     graphCaller(d.method.Kind),

			ReplicationLag:    d.graphSettings.lag,
			ConcurrentWriters: d.graphSettings.concurrentWriters,
			CommandStart:      d.commandStart,
		})
		if d.graphErr == nil && graphClientBuilt != nil {
			graphClientBuilt(d.entry.GraphBaseURL, d.graphClient)
		}
	})
	if d.graphErr != nil {
		diags.AddError("Could not set up the Microsoft Graph client", d.graphErr.Error())
		return nil, false
	}
	return d.graphClient, true
}

// graphCaller is the kind of identity a method signs in as, which decides Graph's authorization rule.
func graphCaller(k auth.Kind) graph.CallerKind {
	if k.SignsInAsUser() {
		return graph.CallerUser
	}
	return graph.CallerServicePrincipal
}

// graphScope is the token scope for a Graph endpoint: its own URL plus "/.default", as sovereign clouds
// (graph.microsoft.us, microsoftgraph.chinacloudapi.cn) and the emulator expect; the public cloud's
// canonical scope for the public endpoint.
func graphScope(graphBaseURL string) string {
	if strings.EqualFold(strings.TrimRight(graphBaseURL, "/"), environments.PublicGraphBaseURL) {
		return environments.GraphScope
	}
	return strings.TrimRight(graphBaseURL, "/") + "/.default"
}

// tflogLogger routes the API packages' log lines to Terraform's log (TF_LOG). The API packages never
// put tokens or secrets in fields.
type tflogLogger struct{}

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}
func (tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(ctx, msg, fields)
}

// overrideAttribute maps an environments.Overrides field to its provider attribute and variable.
func overrideAttribute(field string) (attribute, envVar string) {
	switch field {
	case "Environment":
		return "environment", environments.EnvEnvironment
	case "Region":
		return "region", environments.EnvRegion
	case "LKPSBaseURL":
		return "lkps_base_url", environments.EnvLKPSBaseURL
	case "GraphBaseURL":
		return "graph_base_url", environments.EnvGraphBaseURL
	case "AuthorityHost":
		return "authority_host", environments.EnvAuthorityHost
	case "LKPSScope":
		return "lkps_token_scope", environments.EnvLKPSTokenScope
	default:
		return "tenant_id", "ARM_TENANT_ID"
	}
}

// providerDataFrom is the one place that turns Configure's ProviderData into *providerData. It returns
// nil (without error) before the provider is configured, as the framework calls Configure early too.
func providerDataFrom(v any, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", v))
		return nil
	}
	return data
}
