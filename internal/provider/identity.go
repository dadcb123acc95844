package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Resource identity (Terraform 1.12 and later): the few attributes that name a resource's remote
// object, stored next to its state, accepted by `import { identity = {...} }` and returned by the list
// resources of `terraform query`. An identity never changes for the life of a resource, so it holds
// only immutable names, in lower case (Graph compares GUIDs case-insensitively; the state may hold
// Graph's spelling).
//
// The identities are added by wrapping the resources rather than by editing every CRUD method: each
// wrapper runs the resource's own method and then derives the identity from the state it wrote. That
// also upgrades state written by providers without identity: the first refresh sets it.

// Identity models.
type agentClientScopeIdentity struct {
	AgentClientID types.String `tfsdk:"agent_client_id"`
}

type preauthorizedClientIdentity struct {
	AgentClientID types.String `tfsdk:"agent_client_id"`
	ClientID      types.String `tfsdk:"client_id"`
}

type agentRegistrationIdentity struct {
	AgentClientID types.String `tfsdk:"agent_client_id"`
	Environment   types.String `tfsdk:"environment"`
	Region        types.String `tfsdk:"region"`
}

const identityAgentClientIDDescription = "The client ID (application ID) of the agent's app registration, in lower case."

// identitySpec is what one resource's identity is made of.
type identitySpec struct {
	attributes map[string]identityschema.Attribute
	// newIdentity returns an empty identity model, into which an import's identity or the state is read.
	newIdentity func() importableIdentity
	// otherForm turns an import ID in another form the resource accepts (azuread's) into the resource's own.
	otherForm func(string) (string, bool)
	// check, when set, refuses an identity the provider cannot stand for, before a refresh or an import.
	check func(ctx context.Context, identity *tfsdk.ResourceIdentity, action string, diags *diag.Diagnostics)
}

// identified gives a served resource its identity: Create, Read, Update and ImportState run the resource's
// own method and then store the identity derived from the state it wrote. The served types embed it one
// level above the resource, so that its methods are the ones served.
type identified struct {
	res  resource.ResourceWithImportState
	spec identitySpec
}

func (w identified) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{Attributes: w.spec.attributes}
}

func (w identified) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	w.res.Create(ctx, req, resp)
	setIdentity(ctx, resp.State, resp.Identity, w.spec.newIdentity, &resp.Diagnostics)
}

func (w identified) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if w.spec.check != nil {
		if w.spec.check(ctx, req.Identity, "refresh", &resp.Diagnostics); resp.Diagnostics.HasError() {
			return
		}
	}
	w.res.Read(ctx, req, resp)
	// When the Read removed the resource (gone out of band), the identity is that of the prior state:
	// terraform-plugin-framework v1.19 refuses a Read that returns no identity even when it removes the
	// resource, and Terraform < 1.12 stores none to fall back on.
	st := resp.State
	if st.Raw.IsNull() {
		st = req.State
	}
	setIdentity(ctx, st, resp.Identity, w.spec.newIdentity, &resp.Diagnostics)
}

func (w identified) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	w.res.Update(ctx, req, resp)
	setIdentity(ctx, resp.State, resp.Identity, w.spec.newIdentity, &resp.Diagnostics)
}

func (w identified) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if req.ID == "" && hasIdentity(req.Identity) && w.spec.check != nil {
		w.spec.check(ctx, req.Identity, "import", &resp.Diagnostics)
	}
	switch {
	case req.ID == "" && hasIdentity(req.Identity):
		id := w.spec.newIdentity()
		if resp.Diagnostics.Append(req.Identity.Get(ctx, id)...); resp.Diagnostics.HasError() {
			return
		}
		req.ID = id.importID()
	case w.spec.otherForm != nil:
		if own, ok := w.spec.otherForm(req.ID); ok {
			req.ID = own
		}
	}
	w.res.ImportState(ctx, req, resp)
	if resp.Diagnostics.HasError() {
		return
	}
	setIdentity(ctx, resp.State, resp.Identity, w.spec.newIdentity, &resp.Diagnostics)
}

// The served resources: lkps_agent_client_scope with its identity, azuread's import ID form and moves from
// azuread_application_permission_scope; lkps_preauthorized_client with its identity, azuread's import ID
// forms and moves from azuread_application_pre_authorized; lkps_agent_registration with its identity (a
// registration exists in one LKPS environment and region, so both are part of it, from the provider
// configuration). Each embeds identified one level above the resource (…Served), so that identified's
// methods are the ones served.
type (
	agentClientScopeWithIdentity struct {
		identified
		agentClientScopeServed
	}
	agentClientScopeServed          struct{ *agentClientScopeResource }
	preauthorizedClientWithIdentity struct {
		identified
		preauthorizedClientServed
	}
	preauthorizedClientServed     struct{ *preauthorizedClientResource }
	agentRegistrationWithIdentity struct {
		identified
		agentRegistrationServed
	}
	agentRegistrationServed struct{ *agentRegistrationResource }
)

// importableIdentity is an identity model: it names the resource's import ID, and is derived from the
// resource's state.
type importableIdentity interface {
	importID() string
	fromState(tfsdk.State, *diag.Diagnostics)
}

func (id *agentClientScopeIdentity) importID() string { return id.AgentClientID.ValueString() }
func (id *agentClientScopeIdentity) fromState(st tfsdk.State, diags *diag.Diagnostics) {
	id.AgentClientID = stateGUID(st, "agent_client_id", diags)
}

func (id *preauthorizedClientIdentity) importID() string {
	return id.AgentClientID.ValueString() + "/" + id.ClientID.ValueString()
}
func (id *preauthorizedClientIdentity) fromState(st tfsdk.State, diags *diag.Diagnostics) {
	id.AgentClientID, id.ClientID = stateGUID(st, "agent_client_id", diags), stateGUID(st, "client_id", diags)
}

// A registration's environment and region are the provider's (agentRegistrationIdentitySpec).
func (id *agentRegistrationIdentity) importID() string { return id.AgentClientID.ValueString() }
func (id *agentRegistrationIdentity) fromState(st tfsdk.State, diags *diag.Diagnostics) {
	id.AgentClientID = stateGUID(st, "agent_client_id", diags)
}

// ---- lkps_agent_client_scope ----

// agentClientScopeIdentitySpec: the import accepts the agent client ID (or object ID), "<agent ID>/<scope
// ID>", azuread's "/applications/<object ID>/permissionScopes/<scope ID>" (the same as "<object ID>/<scope
// ID>": the scope is found by its ID, also when it was renamed out of band), or an identity.
func agentClientScopeIdentitySpec() identitySpec {
	return identitySpec{
		attributes: map[string]identityschema.Attribute{
			"agent_client_id": identityschema.StringAttribute{RequiredForImport: true, Description: identityAgentClientIDDescription},
		},
		newIdentity: func() importableIdentity { return &agentClientScopeIdentity{} },
		otherForm:   ownImportID(parseAzureADScopeID),
	}
}

// ---- lkps_preauthorized_client ----

// preauthorizedClientIdentitySpec: the import accepts "<agent client ID>/<client ID>", azuread's
// "[/applications/]<object ID>/preAuthorizedApplication/<client ID>", or an identity.
func preauthorizedClientIdentitySpec() identitySpec {
	return identitySpec{
		attributes: map[string]identityschema.Attribute{
			"agent_client_id": identityschema.StringAttribute{RequiredForImport: true, Description: identityAgentClientIDDescription},
			"client_id": identityschema.StringAttribute{RequiredForImport: true,
				Description: "The client ID (application ID) of the pre-authorized client application, in lower case."},
		},
		newIdentity: func() importableIdentity { return &preauthorizedClientIdentity{} },
		otherForm:   ownImportID(parseAzureADPreAuthorizedID),
	}
}

// ---- lkps_agent_registration ----

// agentRegistrationIdentitySpec: the import accepts the agent client ID or an identity of the provider's
// environment and region.
func agentRegistrationIdentitySpec(r *agentRegistrationResource) identitySpec {
	return identitySpec{
		attributes: map[string]identityschema.Attribute{
			"agent_client_id": identityschema.StringAttribute{RequiredForImport: true, Description: identityAgentClientIDDescription},
			"environment": identityschema.StringAttribute{OptionalForImport: true,
				Description: "The LKPS environment the agent is registered in, `nonprod` or `prod`; defaults to the provider's."},
			"region": identityschema.StringAttribute{OptionalForImport: true,
				Description: "The LKPS region the agent is registered in, `eu` or `us`; defaults to the provider's."},
		},
		newIdentity: func() importableIdentity {
			env, region := r.location()
			return &agentRegistrationIdentity{Environment: types.StringValue(env), Region: types.StringValue(region)}
		},
		check: r.checkLocation,
	}
}

// location returns the provider's environment and region.
func (r *agentRegistrationResource) location() (string, string) {
	if r.data == nil {
		return "", ""
	}
	return string(r.data.entry.Environment), string(r.data.entry.Region)
}

// checkLocation refuses an identity of another environment or region than the provider's: LKPS keeps
// a registration per region, so the resource would silently stand for another registration.
func (r *agentRegistrationResource) checkLocation(ctx context.Context, identity *tfsdk.ResourceIdentity, action string, diags *diag.Diagnostics) {
	if !hasIdentity(identity) || r.data == nil {
		return
	}
	var id agentRegistrationIdentity
	diags.Append(identity.Get(ctx, &id)...)
	env, region := r.location()
	wantEnv, wantRegion := id.Environment.ValueString(), id.Region.ValueString()
	if (wantEnv == "" || strings.EqualFold(wantEnv, env)) && (wantRegion == "" || strings.EqualFold(wantRegion, region)) {
		return
	}
	diags.AddError("Registration in another LKPS environment or region",
		fmt.Sprintf("Cannot %s: the registration of agent %s is in %s/%s, but the provider is configured for %s/%s. LKPS keeps "+
			"registrations per environment and region (EU and US are isolated). Use a provider configuration for %s/%s "+
			"(provider = lkps.<alias> with environment and region set), or remove the resource from the state with a "+
			"removed block and register the agent in %s/%s with a new resource.",
			action, id.AgentClientID.ValueString(), wantEnv, wantRegion, env, region, wantEnv, wantRegion, env, region))
}

// ---- helpers ----

// setIdentity stores the identity derived from the state, unless the operation failed or removed the
// resource.
func setIdentity(ctx context.Context, st tfsdk.State, identity *tfsdk.ResourceIdentity, newIdentity func() importableIdentity, diags *diag.Diagnostics) {
	if diags.HasError() || identity == nil || st.Raw.IsNull() {
		return
	}
	id := newIdentity()
	if id.fromState(st, diags); diags.HasError() {
		return
	}
	diags.Append(identity.Set(ctx, id)...)
}

// hasIdentity reports whether an import was given an identity rather than an ID.
func hasIdentity(id *tfsdk.ResourceIdentity) bool {
	return id != nil && !id.Raw.IsNull() && id.Raw.IsKnown()
}

// stateGUID reads a string attribute of the state (whatever its custom type) in lower case.
func stateGUID(st tfsdk.State, name string, diags *diag.Diagnostics) types.String {
	var attrs map[string]tftypes.Value
	if err := st.Raw.As(&attrs); err != nil {
		diags.AddError("Unexpected state", fmt.Sprintf("Reading the state for the resource identity: %v. This is a bug in the provider.", err))
		return types.StringNull()
	}
	var s *string
	if v, ok := attrs[name]; !ok || v.As(&s) != nil || s == nil {
		diags.AddError("Incomplete state", fmt.Sprintf("The state has no %s for the resource identity. This is a bug in the provider.", name))
		return types.StringNull()
	}
	return types.StringValue(strings.ToLower(*s))
}

// nullGUID is a null GUID attribute value.
func nullGUID() guidValue { return guidValue{StringValue: types.StringNull()} }

// ownImportID turns a parser of one of azuread's import IDs into the identitySpec's otherForm: the
// resource's own import ID is "<object ID>/<second ID>".
func ownImportID(parse func(string) (string, string, bool)) func(string) (string, bool) {
	return func(id string) (string, bool) {
		objectID, second, ok := parse(id)
		return objectID + "/" + second, ok
	}
}

// parseAzureADScopeID parses azuread's "/applications/<object ID>/permissionScopes/<scope ID>".
func parseAzureADScopeID(id string) (objectID, scopeID string, ok bool) {
	parts := strings.Split(strings.Trim(strings.TrimSpace(id), "/"), "/")
	if len(parts) != 4 || !strings.EqualFold(parts[0], "applications") || !strings.EqualFold(parts[2], "permissionScopes") ||
		!guidPattern.MatchString(parts[1]) || !guidPattern.MatchString(parts[3]) {
		return "", "", false
	}
	return strings.ToLower(parts[1]), strings.ToLower(parts[3]), true
}

// parseAzureADPreAuthorizedID parses azuread's "<object ID>/preAuthorizedApplication/<client ID>", also
// with a leading "/applications/" as its import documentation shows.
func parseAzureADPreAuthorizedID(id string) (objectID, clientID string, ok bool) {
	parts := strings.Split(strings.Trim(strings.TrimSpace(id), "/"), "/")
	if len(parts) == 4 && strings.EqualFold(parts[0], "applications") {
		parts = parts[1:]
	}
	if len(parts) != 3 || !strings.EqualFold(parts[1], "preAuthorizedApplication") ||
		!guidPattern.MatchString(parts[0]) || !guidPattern.MatchString(parts[2]) {
		return "", "", false
	}
	return strings.ToLower(parts[0]), strings.ToLower(parts[2]), true
}
