package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// agentRegistrationResource registers an agent with LKPS (seed "Client-to-Agent Authorization", step 4),
// calling POST /api/agent/register as the agent itself.
type agentRegistrationResource struct{ resourceBase }

// agentRegistrationResourceModel maps the resource's schema. The write-only attributes are only ever
// set in the configuration; plan and state hold null for them.
type agentRegistrationResourceModel struct {
	ID                               types.String   `tfsdk:"id"`
	AgentClientID                    types.String   `tfsdk:"agent_client_id"`
	EnforceClientAuthz               types.Bool     `tfsdk:"enforce_client_authz"`
	AgentClientSecretWO              types.String   `tfsdk:"agent_client_secret_wo"`
	AgentClientSecretWOVersion       types.Int64    `tfsdk:"agent_client_secret_wo_version"`
	AgentClientCertificateWO         types.String   `tfsdk:"agent_client_certificate_wo"`
	AgentClientCertificatePasswordWO types.String   `tfsdk:"agent_client_certificate_password_wo"`
	AgentClientCertificateWOVersion  types.Int64    `tfsdk:"agent_client_certificate_wo_version"`
	UseProviderIdentity              types.Bool     `tfsdk:"use_provider_identity"`
	AgentUseOIDC                     types.Bool     `tfsdk:"agent_use_oidc"`
	LiveKitURL                       types.String   `tfsdk:"livekit_url"`
	RegisteredAt                     types.String   `tfsdk:"registered_at"`
	Timeouts                         timeouts.Value `tfsdk:"timeouts"`
}

// setFromRegistration records what LKPS answered. The LiveKit token LKPS returns never reaches the
// model: lkps.Registration does not carry it. The flag is the one registered (an echo that differs is a
// warning, see warnRegistrationMismatches); registered_at is null when LKPS's undocumented answer carries
// no time the provider can read.
func (m *agentRegistrationResourceModel) setFromRegistration(reg lkps.Registration) {
	m.ID = types.StringValue(strings.ToLower(m.AgentClientID.ValueString()))
	m.EnforceClientAuthz = types.BoolValue(reg.EnforceClientAuthz)
	m.LiveKitURL = types.StringValue(reg.LiveKitURL)
	m.RegisteredAt = types.StringNull()
	if !reg.RegisteredAt.IsZero() {
		m.RegisteredAt = types.StringValue(reg.RegisteredAt.UTC().Format(time.RFC3339))
	}
}

// needsRegistration reports whether going from state to plan changes anything LKPS holds or the
// credentials the registration was made with, so that the agent must be registered again.
func needsRegistration(plan, state agentRegistrationResourceModel) bool {
	return !plan.EnforceClientAuthz.Equal(state.EnforceClientAuthz) ||
		!plan.UseProviderIdentity.Equal(state.UseProviderIdentity) ||
		plan.AgentUseOIDC.ValueBool() != state.AgentUseOIDC.ValueBool() ||
		!plan.AgentClientSecretWOVersion.Equal(state.AgentClientSecretWOVersion) ||
		!plan.AgentClientCertificateWOVersion.Equal(state.AgentClientCertificateWOVersion) ||
		state.LiveKitURL.IsNull()
}

// Attribute paths of the resource, for diagnostics.
var (
	pathAgentClientID       = path.Root("agent_client_id")
	pathAgentSecret         = path.Root("agent_client_secret_wo")
	pathAgentSecretVersion  = path.Root("agent_client_secret_wo_version")
	pathAgentCertificate    = path.Root("agent_client_certificate_wo")
	pathAgentCertPassword   = path.Root("agent_client_certificate_password_wo")
	pathAgentCertVersion    = path.Root("agent_client_certificate_wo_version")
	pathUseProviderIdentity = path.Root("use_provider_identity")
	pathAgentUseOIDC        = path.Root("agent_use_oidc")
	pathEnforceClientAuthz  = path.Root("enforce_client_authz")
)

const (
	// registrationWriteTimeout bounds create and update when the timeouts block does not set them.
	registrationWriteTimeout = 5 * time.Minute
	// registrationReadTimeout bounds read when the timeouts block does not set it.
	registrationReadTimeout = 2 * time.Minute
	// registrationCheckTimeout bounds the Graph read of the authorization warning.
	registrationCheckTimeout = time.Minute
	// privateKeyAuthzPlanChecked marks, in the planned private state, that the authorization warning was
	// evaluated at plan time, so that apply does not repeat it.
	privateKeyAuthzPlanChecked = "authz_checked_at_plan"
)

func (r *agentRegistrationResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Registers an agent with LKPS (`POST /api/agent/register`, step 4 of the LKPS guide " +
			"*Client-to-Agent Authorization*) and chooses whether LKPS enforces client-to-agent authorization for it.\n\n" +
			"LKPS keys a registration by the calling application's client ID, so the call is made **as the agent**: give the " +
			"agent's own credentials (`agent_client_secret_wo` or `agent_client_certificate_wo`, write-only, Terraform 1.11 " +
			"or later), or set `use_provider_identity = true` when the provider's identity is the agent. Before registering, " +
			"the provider checks that the token belongs to `agent_client_id` and refuses otherwise, because the " +
			"registration would be recorded under the wrong application. The agent must be on the LKPS Ocelot route's " +
			"Client Access List.\n\n" +
			"LKPS documents no endpoint to read or delete a registration, so:\n\n" +
			"* **Read** keeps the state as it is, but removes the resource when the agent's app registration no longer " +
			"exists in Microsoft Graph (read with the provider's identity), so that the next plan registers it again.\n" +
			"* **Update** registers again (the registration is an idempotent upsert): when `enforce_client_authz` changes, " +
			"or a `*_wo_version` changes after a credential rotation.\n" +
			"* **Destroy** only removes the resource from the state, with a warning: the registration stays in LKPS. To " +
			"stop clients from starting sessions, remove clients from the agent's pre-authorized applications (with " +
			"`enforce_client_authz = true`), disable the agent's app registration, or ask for the agent's removal from the " +
			"Ocelot route's Client Access List.\n" +
			"* **Import** takes the agent client ID. As LKPS cannot be read, the imported state has no " +
			"`enforce_client_authz`, and the next apply registers the agent again with the configured value; the plan after " +
			"an import therefore always shows an update.\n\n" +
			"When `enforce_client_authz` is true and the agent exposes no `access_as_client` scope, or no client is " +
			"pre-authorized for it, LKPS refuses every session start with 403 Forbidden; the provider warns about it at " +
			"plan time for an existing registration and at apply time when it registers. No LiveKit token is ever stored.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("The agent client ID in lower case; also the import ID."),
			"agent_client_id": schema.StringAttribute{
				MarkdownDescription: "The client ID (application ID) of the agent's app registration; the registration is " +
					"made as this application. " + guidAttributeNote,
				Required:      true,
				Validators:    []validator.String{guidValidator()},
				PlanModifiers: []planmodifier.String{guidRequiresReplace(false)},
			},
			"enforce_client_authz": schema.BoolAttribute{
				MarkdownDescription: "Whether LKPS checks that a client is pre-authorized for the agent before it starts a " +
					"session. Defaults to `true`, LKPS's default and the guide's recommendation for production agents; with " +
					"`false`, any client application with Ocelot access can start sessions. Changing it registers the agent " +
					"again, in place.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"agent_client_secret_wo": schema.StringAttribute{
				MarkdownDescription: "A client secret of the agent's app registration, used to register as the agent. " +
					"Write-only: never stored in the plan or state (Terraform 1.11 or later). Exactly one of " +
					"`agent_client_secret_wo`, `agent_client_certificate_wo`, `agent_use_oidc = true` and `use_provider_identity = true` must be set.",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
			},
			"agent_client_secret_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Any number that you change when `agent_client_secret_wo` changes, so that Terraform " +
					"registers the agent again with the new secret (write-only values are not compared between runs).",
				Optional: true,
			},
			"agent_client_certificate_wo": schema.StringAttribute{
				MarkdownDescription: "A certificate of the agent's app registration with its private key, used to register " +
					"as the agent: PEM text, or base64 of a PKCS#12 (PFX) archive or of PEM text. Write-only: never stored in " +
					"the plan or state (Terraform 1.11 or later).",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
			},
			"agent_client_certificate_password_wo": schema.StringAttribute{
				MarkdownDescription: "The password of `agent_client_certificate_wo`'s private key, if it is encrypted. " +
					"Write-only.",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
			},
			"agent_client_certificate_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Any number that you change when `agent_client_certificate_wo` changes, so that " +
					"Terraform registers the agent again with the new certificate.",
				Optional: true,
			},
			"use_provider_identity": schema.BoolAttribute{
				MarkdownDescription: "Register with the provider's own identity, for when the provider authenticates as the " +
					"agent itself (for example in the agent's own deployment pipeline). Defaults to `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"agent_use_oidc": schema.BoolAttribute{
				MarkdownDescription: "Register without any secret of the agent: the provider's OIDC token (`use_oidc` with " +
					"`oidc_token`, `oidc_token_file_path`, GitHub Actions' `oidc_request_url` and `oidc_request_token`, Azure " +
					"DevOps' `ado_pipeline_service_connection_id`, or `use_aks_workload_identity`, in the provider block) is presented to Entra ID as the agent, through a " +
					"federated identity credential on the agent's own app registration that matches the token's issuer, " +
					"subject and audience. The provider keeps its own identity for Microsoft Graph. Changing it registers " +
					"the agent again.",
				Optional: true,
			},
			"livekit_url": schema.StringAttribute{
				MarkdownDescription: "The LiveKit server URL LKPS returned for the agent.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"registered_at": schema.StringAttribute{
				MarkdownDescription: "When LKPS recorded the registration (RFC 3339), as of the last registration by this " +
					"resource; null when LKPS's answer carries no time the provider can read (the field is not documented).",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"timeouts": timeoutsAttribute(ctx, map[string]time.Duration{
				"create": registrationWriteTimeout, "read": registrationReadTimeout, "update": registrationWriteTimeout,
			}),
		},
	}
}

func (r *agentRegistrationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config agentRegistrationResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.registerWithin(ctx, plan.Timeouts.Create, plan, config, true, &resp.State, &resp.Diagnostics)
}

// registerWithin registers the agent within the operation's timeout (get is plan.Timeouts.Create or
// .Update; registrationWriteTimeout when unset), stores plan with the registration's result in st and,
// when warn is set, warns within the same timeout if LKPS would refuse every session.
func (r *agentRegistrationResource) registerWithin(ctx context.Context, get timeoutGetter, plan, config agentRegistrationResourceModel, warn bool, st *tfsdk.State, diags *diag.Diagnostics) {
	ctx, cancel, ok := withTimeout(ctx, get, registrationWriteTimeout, diags)
	if !ok {
		return
	}
	defer cancel()
	reg, ok := r.register(ctx, plan, config, diags)
	if !ok {
		return
	}
	plan.setFromRegistration(reg)
	diags.Append(st.Set(ctx, &plan)...)
	if warn {
		r.warnIfEverySessionRefused(ctx, plan, false, diags)
	}
}

// Read keeps the state (LKPS has no read endpoint) unless the agent's app registration is gone.
func (r *agentRegistrationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state agentRegistrationResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if gone := r.agentApplicationGone(ctx, state, &resp.Diagnostics); gone {
		resp.State.RemoveResource(ctx)
		return
	}
	if resp.Diagnostics.HasError() {
		return
	}
	state.ID = types.StringValue(strings.ToLower(state.AgentClientID.ValueString()))
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update registers the agent again when the flag or the credentials changed; a change of the timeouts
// alone changes only the state.
func (r *agentRegistrationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, config agentRegistrationResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	checkedAtPlan, diags := req.Private.GetKey(ctx, privateKeyAuthzPlanChecked)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateKeyAuthzPlanChecked, nil)...)
	if !needsRegistration(plan, state) {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	r.registerWithin(ctx, plan.Timeouts.Update, plan, config, checkedAtPlan == nil, &resp.State, &resp.Diagnostics)
}

// Delete removes the resource from the state only: LKPS has no endpoint to delete a registration.
func (r *agentRegistrationResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state agentRegistrationResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	agentID := state.AgentClientID.ValueString()
	route := "the LKPS Ocelot route"
	if r.data != nil {
		route = fmt.Sprintf("the LKPS Ocelot route (%s)", r.data.entry.OcelotRouteURL)
	}
	resp.Diagnostics.AddWarning("The Agent Stays Registered with LKPS", registrationKeptWarning(agentID, state.EnforceClientAuthz, route))
}

// registrationKeptWarning says, on destroy, that LKPS keeps the registration, who can still start sessions
// with the agent, and how to revoke that, first the remedy that applies to the registration's flag.
func registrationKeptWarning(agentID string, enforce types.Bool, route string) string {
	head := fmt.Sprintf("LKPS has no endpoint to delete a registration, so the registration of agent %s was only removed from the "+
		"Terraform state; LKPS keeps it (enforce_client_authz = %s).\n\n", agentID, boolText(enforce))
	common := "- disable or delete the agent's app registration in Entra ID, so that it can no longer get tokens;\n" +
		"- ask the Bayer LiveKit Platform Team to remove the agent from the Client Access List of " + route + "."
	if enforce.IsNull() || enforce.IsUnknown() || !enforce.ValueBool() {
		// Imported registrations record no flag: LKPS may be open, so the open case is the one to warn about.
		return head + fmt.Sprintf("With enforce_client_authz = false LKPS checks no pre-authorization: every client application on "+
			"the Client Access List of %s can still start sessions with agent %s, whatever the agent's pre-authorized "+
			"applications say.\n\nTo stop that:\n"+
			"- register the agent again with enforce_client_authz = true (add an lkps_agent_registration with the flag true and "+
			"apply), so that LKPS admits only the clients pre-authorized for its %s scope;\n%s",
			route, agentID, environments.ClientScopeValue, common)
	}
	return head + fmt.Sprintf("Only the clients pre-authorized for the agent's %s scope can still start sessions. To revoke access "+
		"to the agent:\n"+
		"- remove the clients from the agent's pre-authorized applications (lkps_preauthorized_client) or remove its %s "+
		"scope: LKPS then refuses their session starts with 403;\n%s",
		environments.ClientScopeValue, environments.ClientScopeValue, common)
}

func (r *agentRegistrationResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, ok := parseGUIDImportID(req.ID, "the agent client ID", "terraform import lkps_agent_registration.agent 11111111-1111-1111-1111-111111111111", &resp.Diagnostics)
	if !ok {
		return
	}
	// LKPS cannot be read: the flag, the credential choice and the LiveKit URL stay unknown to the
	// state, so the next plan registers the agent again with the configured values.
	m := agentRegistrationResourceModel{
		ID:                               types.StringValue(id),
		AgentClientID:                    types.StringValue(id),
		EnforceClientAuthz:               types.BoolNull(),
		AgentClientSecretWO:              types.StringNull(),
		AgentClientSecretWOVersion:       types.Int64Null(),
		AgentClientCertificateWO:         types.StringNull(),
		AgentClientCertificatePasswordWO: types.StringNull(),
		AgentClientCertificateWOVersion:  types.Int64Null(),
		UseProviderIdentity:              types.BoolNull(),
		LiveKitURL:                       types.StringNull(),
		RegisteredAt:                     types.StringNull(),
		Timeouts:                         nullTimeouts("create", "read", "update"),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// ModifyPlan keeps the computed values known when nothing is registered again and warns, for an existing
// registration, when LKPS would refuse every session start.
func (r *agentRegistrationResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	r.modifyPlanForRegistration(ctx, req, resp)
}

// ValidateConfig requires exactly one way to authenticate as the agent, and a version only next to the
// credential it versions.
func (r *agentRegistrationResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateConfig(ctx, req.Config.Get, &resp.Diagnostics, validateAgentCredentials)
}

// modifyPlanForRegistration is the rule of ModifyPlan: known computed values when no registration is
// planned, unknown ones when the agent is registered again, and the plan-time authorization warning.
func (r *agentRegistrationResource) modifyPlanForRegistration(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan agentRegistrationResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if isSet(plan.AgentClientID) {
		plan.ID = types.StringValue(strings.ToLower(plan.AgentClientID.ValueString()))
	}
	if req.State.Raw.IsNull() {
		// A new registration: whether sessions would be refused is checked at apply, after the resources this
		// one depends on (the scope, the pre-authorized clients) exist.
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	var state agentRegistrationResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if needsRegistration(plan, state) {
		plan.LiveKitURL = types.StringUnknown()
		plan.RegisteredAt = types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.warnIfEverySessionRefused(ctx, plan, true, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateKeyAuthzPlanChecked, []byte(`true`))...)
	}
}

// register makes the registration as the agent: it builds the agent's credential, verifies that its token
// belongs to the agent, and calls POST /api/agent/register with the planned flag.
func (r *agentRegistrationResource) register(ctx context.Context, plan, config agentRegistrationResourceModel, diags *diag.Diagnostics) (lkps.Registration, bool) {
	agentID := plan.AgentClientID.ValueString()
	cred, credAttr, ok := r.agentCredential(ctx, agentID, config, diags)
	if !ok {
		return lkps.Registration{}, false
	}
	client, ok := r.data.lkpsClient(ctx, cred, diags)
	if !ok {
		return lkps.Registration{}, false
	}
	if err := client.VerifyCaller(ctx, agentID); err != nil {
		addLKPSError(diags, fmt.Sprintf("check that the credentials for the registration belong to agent %s", agentID), credAttr, err)
		return lkps.Registration{}, false
	}
	enforce := plan.EnforceClientAuthz.ValueBool()
	tflog.Info(ctx, "Registering the agent with LKPS", map[string]any{
		"agent_client_id": agentID, "enforce_client_authz": enforce, "lkps_base_url": client.BaseURL(),
	})
	reg, err := client.Register(ctx, &enforce)
	if err != nil {
		addLKPSError(diags, fmt.Sprintf("register agent %s with LKPS", agentID), credAttr, err)
		return lkps.Registration{}, false
	}
	warnRegistrationMismatches(diags, agentID, reg)
	return reg, true
}
