package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// clientAuthorizationDataSource evaluates, read-only through Microsoft Graph, the decision LKPS makes at
// POST /api/session/start (seed "Client-to-Agent Authorization", "How Client-to-Agent Authorization
// Works" and "Verification").
type clientAuthorizationDataSource struct{ dataSourceBase }

// clientAuthorizationDataSourceModel maps the data source's schema.
type clientAuthorizationDataSourceModel struct {
	ID                 types.String   `tfsdk:"id"`
	AgentClientID      types.String   `tfsdk:"agent_client_id"`
	ClientID           types.String   `tfsdk:"client_id"`
	EnforceClientAuthz types.Bool     `tfsdk:"enforce_client_authz"`
	Authorized         types.Bool     `tfsdk:"authorized"`
	FailedCheck        types.String   `tfsdk:"failed_check"`
	Reason             types.String   `tfsdk:"reason"`
	ScopeID            types.String   `tfsdk:"scope_id"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
}

// setDecision copies the outcome of the decision into the model.
func (m *clientAuthorizationDataSourceModel) setDecision(d lkps.Decision) {
	m.Authorized = types.BoolValue(d.Authorized)
	m.FailedCheck = types.StringValue(d.FailedCheck)
	m.Reason = types.StringValue(d.Reason)
	m.ScopeID = optionalString(d.ScopeID)
}

// clientAuthorizationID is the data source's ID: "<agent client ID>/<client ID>" in lower case.
func clientAuthorizationID(agentClientID, clientID string) string {
	return strings.ToLower(agentClientID) + "/" + strings.ToLower(clientID)
}

// clientAuthorizationReadTimeout bounds a read when the timeouts block does not set one.
const clientAuthorizationReadTimeout = 2 * time.Minute

func (d *clientAuthorizationDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Evaluates whether LKPS would let a client application start a session with an agent, without " +
			"starting one: it reads the agent's app registration from Microsoft Graph with the provider's identity and " +
			"applies the same three checks LKPS makes at `POST /api/session/start` (LKPS guide *Client-to-Agent " +
			"Authorization*, \"How Client-to-Agent Authorization Works\"):\n\n" +
			"1. the agent exposes a scope whose value is exactly `access_as_client` (`scope_missing` otherwise; also when " +
			"the agent's app registration does not exist);\n" +
			"2. the client ID is listed in the agent's `preAuthorizedApplications` (`client_not_preauthorized`);\n" +
			"3. that entry includes the `access_as_client` scope ID (`scope_not_granted`).\n\n" +
			"With `enforce_client_authz = false` LKPS skips the checks, and so does this data source: it is then always " +
			"authorized and makes no request at all.\n\n" +
			"Use it in a `check` block to verify an onboarding continuously, or in a postcondition. Nested in a `check` " +
			"block, a failure to read becomes a warning too, but Terraform then reads the data source again at every " +
			"apply, so `terraform plan -detailed-exitcode` never reports \"no changes\"; declare it outside the block and " +
			"refer to it from the `assert` when plans must stay empty.\n\n" +
			"It does not check the Ocelot route's Client Access List (which the LKPS team manages) nor whether the agent " +
			"is registered with LKPS.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The identifier of the evaluation, `<agent client ID>/<client ID>` in lower case.",
				Computed:            true,
			},
			"agent_client_id": schema.StringAttribute{
				MarkdownDescription: "The client ID (application ID) of the agent's app registration, as clients pass it in " +
					"`agent_entra_app_id`.",
				Required:   true,
				Validators: []validator.String{guidValidator()},
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "The client ID (application ID) of the client application that would start the session " +
					"(the `client-id` header Ocelot injects).",
				Required:   true,
				Validators: []validator.String{guidValidator()},
			},
			"enforce_client_authz": schema.BoolAttribute{
				MarkdownDescription: "The agent registration's `enforce_client_authz` flag, usually " +
					"`lkps_agent_registration.<name>.enforce_client_authz`. Defaults to `true`, LKPS's default.",
				Optional: true,
				Computed: true,
			},
			"authorized": schema.BoolAttribute{
				MarkdownDescription: "Whether LKPS would start the session (`200 OK`) rather than refuse it with `403 Forbidden`.",
				Computed:            true,
			},
			"failed_check": schema.StringAttribute{
				MarkdownDescription: "The check that failed, as LKPS names it: `scope_missing`, `client_not_preauthorized` or " +
					"`scope_not_granted`; empty when authorized.",
				Computed: true,
			},
			"reason": schema.StringAttribute{
				MarkdownDescription: "A sentence explaining the outcome and, when the client is refused, what the agent owner " +
					"must change.",
				Computed: true,
			},
			"scope_id": schema.StringAttribute{
				MarkdownDescription: "The ID of the agent's `access_as_client` scope; null when the agent exposes none or " +
					"enforcement is off (the application is then not read).",
				Computed: true,
			},
			"timeouts": clientAuthorizationTimeouts(ctx),
		},
	}
}

func (d *clientAuthorizationDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m clientAuthorizationDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.EnforceClientAuthz.IsNull() {
		m.EnforceClientAuthz = types.BoolValue(true)
	}
	agentID, clientID := m.AgentClientID.ValueString(), m.ClientID.ValueString()
	m.ID = types.StringValue(clientAuthorizationID(agentID, clientID))

	if !m.EnforceClientAuthz.ValueBool() {
		// LKPS skips the authorization check and so does the decision: no Graph request at all.
		m.setDecision(lkps.Evaluate(lkps.DecisionInput{EnforceClientAuthz: false, ClientID: clientID}))
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	}

	ctx, cancel, client, ok := d.data.graphWithin(ctx, m.Timeouts.Read, clientAuthorizationReadTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	// A refusal counts only on a read started graph_replication_lag after the command began (refreshAgent):
	// a replica may not have caught up with the apply that pre-authorized the client moments ago.
	read, ok := d.data.refreshAgent(ctx, client, model.ByAppID(agentID), "read the agent application to evaluate the client's authorization",
		func(app model.Application) bool {
			return lkps.Evaluate(decisionInput(app, true, true, clientID)).Authorized
		}, &resp.Diagnostics)
	if !ok {
		return
	}
	if read.gone {
		tflog.Debug(ctx, "The agent application does not exist; LKPS would refuse every session with scope_missing",
			map[string]any{"agent_client_id": agentID})
	}
	m.setDecision(lkps.Evaluate(decisionInput(read.app, !read.gone, true, clientID)))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// decisionInput feeds the session-start decision from the agent application as Graph returned it.
// exists is false when Graph has no such application (app is then ignored).
func decisionInput(app model.Application, exists, enforce bool, clientID string) lkps.DecisionInput {
	in := lkps.DecisionInput{EnforceClientAuthz: enforce, ClientID: clientID, AgentExists: exists}
	if !exists {
		return in
	}
	for _, s := range app.Scopes {
		in.Scopes = append(in.Scopes, lkps.Scope{ID: s.ID, Value: s.Value, Enabled: s.Enabled})
	}
	for _, p := range app.PreAuthorized {
		in.PreAuthorized = append(in.PreAuthorized, lkps.PreAuthorized{AppID: p.AppID, PermissionIDs: p.DelegatedPermissionIDs})
	}
	return in
}

// clientAuthorizationTimeouts is the timeouts block with a description of what it bounds.
func clientAuthorizationTimeouts(ctx context.Context) schema.Attribute {
	a, ok := timeouts.Attributes(ctx).(schema.SingleNestedAttribute)
	if !ok {
		return timeouts.Attributes(ctx)
	}
	a.MarkdownDescription = "How long the read of the agent application from Microsoft Graph may take; `read` is a " +
		"duration such as `\"30s\"` or `\"2m\"` (default 2 minutes)."
	if read, ok := a.Attributes["read"].(schema.StringAttribute); ok {
		read.MarkdownDescription = fmt.Sprintf("How long reading the agent application may take, as a duration such as `30s` or "+
			"`2m`. Defaults to `%s`.", formatTimeout(clientAuthorizationReadTimeout))
		read.Description = read.MarkdownDescription
		a.Attributes["read"] = read
	}
	return a
}
