package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The one way the provider reaches Microsoft Graph: the client (built once per configured provider, so
// that edits of one application from sibling resources are serialized and grouped), bounded by the
// operation's timeout; the agent application named by either of its IDs; and every failure reported
// through graph_diagnostics.go. Resources, data sources, list resources and the action all go through here.

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
	return ctx, func() { cancel(); addGraphNotices(client.TakeNotices(), d.method.Kind, diags) }, client, true
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

// withGraph runs do with the Graph client within m's timeout for op, after reading the plan or state into
// m (graphFor), and reports what the Graph client noticed meanwhile: the body of every CRUD method of the
// Entra resources.
func (d *providerData) withGraph(ctx context.Context, get func(context.Context, any) diag.Diagnostics, m timedModel, op graphOperation, diags *diag.Diagnostics, do func(context.Context, *graph.Client)) {
	ctx, cancel, client, ok := d.graphFor(ctx, get, m, op, diags)
	if !ok {
		return
	}
	defer cancel()
	do(ctx, client)
}

// graphForCheck returns the Graph client within timeout for a check that only qualifies an answer (a
// plan-time warning, an explanation): ok is false, with nothing reported, when the provider has no
// usable identity or client, as the operation that needs Graph reports that itself.
func (d *providerData) graphForCheck(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc, *graph.Client, bool) {
	if d == nil || d.credentialErr != nil {
		return ctx, func() {}, nil, false
	}
	var ignored diag.Diagnostics
	client, ok := d.graph(ctx, &ignored)
	if !ok {
		return ctx, func() {}, nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, client, true
}

// agentRead is the outcome of refreshing from the agent application: the application, whether it showed
// what the state records, and whether it is gone (isGone).
type agentRead struct {
	app      model.Application
	expected bool
	gone     bool
}

// refreshAgent reads the agent application for a refresh. expect says whether an application shows what
// the state records: a replica may not have caught up with the apply that wrote it moments ago, so only a
// difference that persists on a read started graph_replication_lag after the command began counts
// (graph.Client.GetApplicationExpecting). A failure other than gone is reported, as action, and ok is false.
func (d *providerData) refreshAgent(ctx context.Context, client *graph.Client, ref model.AppRef, action string, expect func(model.Application) bool, diags *diag.Diagnostics) (read agentRead, ok bool) {
	app, expected, err := client.GetApplicationExpecting(ctx, ref, expect)
	if isGone(err) {
		return agentRead{gone: true}, true
	}
	if err != nil {
		d.reportGraphError(ctx, diags, action, ref, err)
		return agentRead{}, false
	}
	return agentRead{app: app, expected: expected}, true
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

// agentRef names the agent application by whichever of its IDs is known, preferring the client ID.
func agentRef(clientID, objectID guidValue) model.AppRef {
	if isSet(clientID) {
		return model.ByAppID(clientID.ValueString())
	}
	return model.ByObjectID(objectID.ValueString())
}

// agentForWrite reads the agent application named by the plan's agent_client_id or agent_object_id for
// a create that decides what it writes from it (graph.Client.GetApplicationForWrite), and reports a
// failure as a diagnostic.
func (d *providerData) agentForWrite(ctx context.Context, client *graph.Client, agent agentReference, diags *diag.Diagnostics) (model.Application, bool) {
	ref := agent.agentRef()
	app, err := client.GetApplicationForWrite(ctx, ref)
	if err != nil {
		d.reportGraphError(ctx, diags, "read the agent application", ref, err)
		return model.Application{}, false
	}
	return app, true
}

// agentIfExists reads the agent application with the client ID agentID for a check that also has an
// answer when there is none: exists is false when Graph says so; err is any other failure.
func agentIfExists(ctx context.Context, client *graph.Client, agentID string) (app model.Application, exists bool, err error) {
	app, err = client.GetApplication(ctx, model.ByAppID(agentID))
	if errors.Is(err, model.ErrNotFound) {
		return app, false, nil
	}
	return app, true, err
}

// validateConfig reads a configuration into a model (get is req.Config.Get) and checks it with check,
// unless it cannot be read: ValidateConfig of a resource or an action.
func validateConfig[M any](ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics, check func(M, *diag.Diagnostics)) {
	var m M
	if diags.Append(get(ctx, &m)...); !diags.HasError() {
		check(m, diags)
	}
}
