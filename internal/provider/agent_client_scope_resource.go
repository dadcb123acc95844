package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/agentid"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// agentClientScopeResource manages the Application ID URI and the access_as_client scope on an agent's
// app registration (seed "Client-to-Agent Authorization", steps 1 and 2).
type agentClientScopeResource struct {
	resourceBase
	agentReferenced
}

// agentClientScopeResourceModel maps the resource's schema.
type agentClientScopeResourceModel struct {
	agentReference
	ID                      types.String   `tfsdk:"id"`
	IdentifierURI           types.String   `tfsdk:"identifier_uri"`
	IdentifierURIAdded      types.Bool     `tfsdk:"identifier_uri_added"`
	ScopeID                 guidValue      `tfsdk:"scope_id"`
	Value                   types.String   `tfsdk:"value"`
	Type                    types.String   `tfsdk:"type"`
	AdminConsentDisplayName types.String   `tfsdk:"admin_consent_display_name"`
	AdminConsentDescription types.String   `tfsdk:"admin_consent_description"`
	UserConsentDisplayName  types.String   `tfsdk:"user_consent_display_name"`
	UserConsentDescription  types.String   `tfsdk:"user_consent_description"`
	Enabled                 types.Bool     `tfsdk:"enabled"`
	Timeouts                timeouts.Value `tfsdk:"timeouts"`
}

// toScope returns the Graph scope the model asks for.
func (m agentClientScopeResourceModel) toScope() model.PermissionScope {
	return model.PermissionScope{
		ID:                      m.ScopeID.ValueString(),
		Value:                   environments.ClientScopeValue,
		Type:                    m.Type.ValueString(),
		AdminConsentDisplayName: m.AdminConsentDisplayName.ValueString(),
		AdminConsentDescription: m.AdminConsentDescription.ValueString(),
		UserConsentDisplayName:  m.UserConsentDisplayName.ValueString(),
		UserConsentDescription:  m.UserConsentDescription.ValueString(),
		Enabled:                 m.Enabled.ValueBool(),
	}
}

// setFromGraph copies what Graph holds into the model. The Application ID URI is kept when the
// application still has it and cleared otherwise, so that the next plan shows the repair. GUIDs keep
// the model's spelling when Graph's names the same GUID.
func (m *agentClientScopeResourceModel) setFromGraph(app model.Application, scope model.PermissionScope) {
	m.ID = types.StringValue(strings.ToLower(app.AppID))
	m.setAgent(app)
	if uri := m.IdentifierURI.ValueString(); uri == "" || !containsFold(app.IdentifierURIs, uri) {
		m.IdentifierURI = types.StringNull()
		if uri == "" {
			m.IdentifierURI = defaultIdentifierURIOf(app)
		}
	}
	if m.IdentifierURIAdded.IsNull() || m.IdentifierURIAdded.IsUnknown() {
		m.IdentifierURIAdded = types.BoolValue(false)
	}
	m.ScopeID = keepSpelling(m.ScopeID, scope.ID)
	m.Value = types.StringValue(scope.Value)
	m.Type = types.StringValue(scope.Type)
	m.AdminConsentDisplayName = types.StringValue(scope.AdminConsentDisplayName)
	m.AdminConsentDescription = types.StringValue(scope.AdminConsentDescription)
	m.UserConsentDisplayName = optionalString(scope.UserConsentDisplayName)
	m.UserConsentDescription = optionalString(scope.UserConsentDescription)
	m.Enabled = types.BoolValue(scope.Enabled)
}

// defaultIdentifierURIOf picks the URI an imported resource manages: api://<appId> when the
// application has it, else its first URI, else none.
func defaultIdentifierURIOf(app model.Application) types.String {
	want := defaultIdentifierURI(app.AppID)
	if containsFold(app.IdentifierURIs, want) {
		return types.StringValue(want)
	}
	if len(app.IdentifierURIs) > 0 {
		return types.StringValue(app.IdentifierURIs[0])
	}
	return types.StringNull()
}

func (r *agentClientScopeResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Exposes an agent's API for LKPS client-to-agent authorization: ensures the agent's app " +
			"registration has an Application ID URI and the delegated scope `access_as_client` that LKPS looks for " +
			"(steps 1 and 2 of the LKPS guide *Client-to-Agent Authorization*). Pre-authorize client applications " +
			"for the scope with `lkps_preauthorized_client`.\n\n" +
			"The resource edits only what it manages: other scopes, other identifier URIs and every pre-authorized " +
			"entry stay exactly as they are. Texts and `enabled` change in place; the scope is disabled only when " +
			"Microsoft Graph requires it (changing `type`, or destroying the scope).",
		Attributes: agentReferenceAttributes(map[string]schema.Attribute{
			"id": idAttribute("The agent's client ID (application ID), in lower case. It is also the import ID; a scope " +
				"whose value was changed in the portal is imported as `<agent client ID>/<scope ID>`."),
			"identifier_uri": schema.StringAttribute{
				MarkdownDescription: "The Application ID URI to ensure on the agent's app registration. Defaults to " +
					"`api://<agent client ID>`, the portal's default. It is added if missing; other identifier URIs are " +
					"never touched. Graph requires it to be unique in the tenant and of the form `api://<client ID>`, " +
					"`api://<tenant ID>/<name>` or a URI on a verified domain.",
				Optional: true, Computed: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"identifier_uri_added": schema.BoolAttribute{
				MarkdownDescription: "Whether this resource added `identifier_uri` to the application. Only a URI it added is " +
					"removed when the resource is destroyed or `identifier_uri` changes; an imported resource never removes one.",
				Computed:      true,
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"scope_id": schema.StringAttribute{
				MarkdownDescription: "The ID of the `access_as_client` scope. If omitted, a stable ID derived from the agent's ID " +
					"is used, known at plan time so that `lkps_preauthorized_client` can refer to it. " + guidAttributeNote,
				Optional: true, Computed: true,
				CustomType:    guidType{},
				Validators:    []validator.String{guidValidator()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), guidRequiresReplace(true)},
			},
			"value": schema.StringAttribute{
				MarkdownDescription: "The scope's value, always `access_as_client`: the name LKPS looks for when it checks client " +
					"authorization. If it is changed elsewhere (renamed in the portal), the next plan shows the repair, which the " +
					"provider applies by disabling the scope, restoring the value and enabling it again, as Graph requires.",
				Computed: true,
				Default:  stringdefault.StaticString(environments.ClientScopeValue),
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "Who can consent to the scope: `User` (the portal's \"Admins and users\", the LKPS guide's " +
					"choice) or `Admin` (\"Admins only\"). Defaults to `User`. Changing it makes Graph require the scope to " +
					"be disabled for a moment; the provider does that and re-enables it.",
				Optional: true, Computed: true,
				Default:    stringdefault.StaticString(model.ScopeTypeUser),
				Validators: []validator.String{stringvalidator.OneOf(model.ScopeTypeUser, model.ScopeTypeAdmin)},
			},
			"admin_consent_display_name": consentTextAttribute("The title administrators see when granting consent.",
				environments.ClientScopeAdminConsentDisplayName),
			"admin_consent_description": consentTextAttribute("The description administrators see when granting consent.",
				environments.ClientScopeAdminConsentDescription),
			"user_consent_display_name": consentTextAttribute("The title users see when granting consent, if users may consent.", ""),
			"user_consent_description":  consentTextAttribute("The description users see when granting consent, if users may consent.", ""),
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether the scope is enabled (the portal's \"State\"). Defaults to `true`, as the LKPS guide says. " +
					"`false` does **not** stop sessions: LKPS's three documented checks look for the scope's value, the client's " +
					"pre-authorization and the scope's ID in it, not the scope's state, so pre-authorized clients keep starting " +
					"sessions. What it does: Microsoft Graph lets a scope be removed only once it is disabled " +
					"([permissionScope](https://learn.microsoft.com/en-us/graph/api/resources/permissionscope), `isEnabled`), and the " +
					"provider does that itself on destroy. To stop a client, remove its `lkps_preauthorized_client`; to stop all, " +
					"register the agent with `enforce_client_authz = true` and remove the pre-authorizations.",
				Optional: true, Computed: true,
				Default: booldefault.StaticBool(true),
			},
			"timeouts": timeoutsAttribute(ctx, map[string]time.Duration{
				"create": defaultWriteTimeout, "read": defaultReadTimeout, "update": defaultWriteTimeout, "delete": defaultWriteTimeout,
			}),
		}),
	}
}

func (r *agentClientScopeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	createOnAgent(ctx, r.data, req, resp, r.create)
}

// create adds the Application ID URI and the scope to the agent application app, read for the write.
func (r *agentClientScopeResource) create(ctx context.Context, client *graph.Client, plan *agentClientScopeResourceModel, app model.Application, resp *resource.CreateResponse) {
	if existing, found := app.ScopeByValue(environments.ClientScopeValue); found {
		resp.Diagnostics.AddError("The agent already exposes access_as_client",
			fmt.Sprintf("The application %s already has an %q scope (id %s). To manage it with Terraform, import it:\n\n"+
				"  terraform import %s %s\n\nor, with Terraform 1.5 and later, an import block with id = %q.",
				app.AppID, environments.ClientScopeValue, existing.ID, "lkps_agent_client_scope.<name>", strings.ToLower(app.AppID), strings.ToLower(app.AppID)))
		return
	}
	if plan.ScopeID.IsUnknown() || plan.ScopeID.IsNull() {
		plan.ScopeID = guidOf(stableScopeID(app.AppID))
	}
	if existing, found := app.Scope(plan.ScopeID.ValueString()); found {
		// Typically the access_as_client scope renamed in the portal while it was not in any state.
		id := strings.ToLower(app.AppID) + "/" + strings.ToLower(existing.ID)
		resp.Diagnostics.AddAttributeError(path.Root("scope_id"), "The scope ID is taken",
			fmt.Sprintf("The application %s already has a scope with the ID %s, with the value %q. If it is the access_as_client "+
				"scope renamed in the portal, import it and the next apply restores its value:\n\n"+
				"  terraform import lkps_agent_client_scope.<name> %s\n\nor, with Terraform 1.5 and later, an import block with "+
				"id = %q. Otherwise choose another scope_id.", app.AppID, existing.ID, existing.Value, id, id))
		return
	}
	if plan.IdentifierURI.IsUnknown() || plan.IdentifierURI.IsNull() {
		plan.IdentifierURI = types.StringValue(defaultIdentifierURI(app.AppID))
	}

	ref := model.ByObjectID(app.ObjectID)
	// One change adds the URI (unless present) and the scope: either both land or neither does.
	created, added, err := client.ExposeScope(ctx, ref, plan.IdentifierURI.ValueString(), plan.toScope())
	if err != nil {
		r.data.reportGraphError(ctx, &resp.Diagnostics, "add the Application ID URI and the access_as_client scope", ref, err)
		return
	}
	plan.IdentifierURIAdded = types.BoolValue(added)
	// Graph committed the change as sent (it answered the PATCH with success): the state is the
	// application as read plus what was written, with no read to wait for (the engine confirms the
	// write before the run ends, and a later plan reads it).
	if added {
		app.IdentifierURIs = append(slices.Clone(app.IdentifierURIs), plan.IdentifierURI.ValueString())
	}
	plan.setFromGraph(app, created)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *agentClientScopeResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state agentClientScopeResourceModel
	r.data.withGraph(ctx, req.State.Get, &state, opRead, &resp.Diagnostics, func(ctx context.Context, client *graph.Client) {
		gone := r.readInto(ctx, client, state.agentRef(), &state, &resp.Diagnostics)
		switch {
		case resp.Diagnostics.HasError():
		case gone:
			resp.State.RemoveResource(ctx)
		default:
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		}
	})
}

func (r *agentClientScopeResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state agentClientScopeResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	r.data.withGraph(ctx, req.Plan.Get, &plan, opUpdate, &resp.Diagnostics, func(ctx context.Context, client *graph.Client) { // the plan's timeout
		r.update(ctx, client, plan, state, resp)
	})
}

// update ensures the planned Application ID URI (removing the one it replaces if this resource added it)
// and the planned scope, then refreshes the state.
func (r *agentClientScopeResource) update(ctx context.Context, client *graph.Client, plan, state agentClientScopeResourceModel, resp *resource.UpdateResponse) {
	ref := model.ByObjectID(state.AgentObjectID.ValueString())

	plan.IdentifierURIAdded = state.IdentifierURIAdded
	newURI, oldURI := plan.IdentifierURI.ValueString(), state.IdentifierURI.ValueString()
	if identifierURIToEnsure(plan, state) {
		added, err := client.EnsureIdentifierURI(ctx, ref, newURI)
		if err != nil {
			r.data.reportGraphError(ctx, &resp.Diagnostics, "add the Application ID URI", ref, err)
			return
		}
		if oldURI != "" && state.IdentifierURIAdded.ValueBool() && !strings.EqualFold(newURI, oldURI) {
			if _, err := client.RemoveIdentifierURI(ctx, ref, oldURI); err != nil {
				r.data.reportGraphError(ctx, &resp.Diagnostics, "remove the previous Application ID URI", ref, err)
				return
			}
		}
		plan.IdentifierURIAdded = types.BoolValue(added)
	}
	if _, err := client.UpdateScope(ctx, ref, plan.toScope()); err != nil {
		r.data.reportGraphError(ctx, &resp.Diagnostics, "update the access_as_client scope", ref, err)
		return
	}
	if r.readInto(ctx, client, ref, &plan, &resp.Diagnostics) {
		resp.Diagnostics.AddError("Scope disappeared during update",
			"The access_as_client scope was removed by someone else while Terraform updated it. Run terraform apply again to re-create it.")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *agentClientScopeResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state agentClientScopeResourceModel
	r.data.withGraph(ctx, req.State.Get, &state, opDelete, &resp.Diagnostics, func(ctx context.Context, client *graph.Client) {
		r.delete(ctx, client, state, &resp.Diagnostics)
	})
}

// delete removes the scope and the Application ID URI this resource added, in one change.
func (r *agentClientScopeResource) delete(ctx context.Context, client *graph.Client, state agentClientScopeResourceModel, diags *diag.Diagnostics) {
	ref := model.ByObjectID(state.AgentObjectID.ValueString())
	// The URI this resource added goes in the same change as the scope (other URIs stay).
	var uri string
	if state.IdentifierURIAdded.ValueBool() {
		uri = state.IdentifierURI.ValueString()
	}
	cleared, err := client.DeleteScopeAndURI(ctx, ref, state.ScopeID.ValueString(), uri)
	if err != nil && !isGone(err) {
		r.data.reportGraphError(ctx, diags, "remove the access_as_client scope and the Application ID URI this resource added", ref, err)
		return
	}
	if len(cleared) > 0 {
		diags.AddWarning("Client applications lost their pre-authorization",
			fmt.Sprintf("Before removing the access_as_client scope, its ID was removed from the pre-authorized entries of %s, "+
				"because Microsoft Graph would otherwise leave dangling entries that the portal cannot remove. These clients can no "+
				"longer start LKPS sessions with the agent while enforce_client_authz is true.", strings.Join(cleared, ", ")))
	}
}

func (r *agentClientScopeResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, scopeID, ok := parseScopeImportID(req.ID, &resp.Diagnostics)
	if !ok {
		return
	}
	client, ok := r.data.graph(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	ref := model.ByAnyID(id)
	app, err := client.GetApplication(ctx, ref)
	if err != nil {
		r.data.reportGraphError(ctx, &resp.Diagnostics, "read the agent application to import", ref, err)
		return
	}
	scope, found := managedScopeOf(app, scopeID)
	if current, ok := app.ScopeByValue(environments.ClientScopeValue); ok && found && !strings.EqualFold(current.ID, scope.ID) {
		// The named scope is another one (another team's, or a renamed copy): adopting it would make the
		// next plan turn it into a second access_as_client scope.
		resp.Diagnostics.AddError("Not the access_as_client scope",
			fmt.Sprintf("The scope %s named by the import ID (value %q) is not the application's %s scope, which is %s, and "+
				"lkps_agent_client_scope manages only that one. Leave the other scope to whoever manages it, and import the "+
				"%s scope instead:\n\n  terraform import lkps_agent_client_scope.<name> %s/%s",
				strings.ToLower(scope.ID), scope.Value, environments.ClientScopeValue, strings.ToLower(current.ID),
				environments.ClientScopeValue, strings.ToLower(app.AppID), strings.ToLower(current.ID)))
		return
	}
	switch {
	case !found && scopeID != "":
		resp.Diagnostics.AddError("Nothing to import",
			fmt.Sprintf("The application %s has no scope with the ID %s. Check the ID on the portal's \"Expose an API\" page.", app.AppID, scopeID))
		return
	case !found:
		resp.Diagnostics.AddError("Nothing to import",
			fmt.Sprintf("The application %s has no %q scope, nor one with the ID this provider gives it (%s). Create the resource "+
				"instead of importing it; or, if the scope was renamed in the portal, import it by its ID:\n\n"+
				"  terraform import lkps_agent_client_scope.<name> %s/<scope ID>", app.AppID, environments.ClientScopeValue,
				stableScopeID(app.AppID), strings.ToLower(app.AppID)))
		return
	}
	var m agentClientScopeResourceModel
	m.IdentifierURI = types.StringNull()
	m.IdentifierURIAdded = types.BoolValue(false)
	// The import ID keeps its spelling in agent_client_id or agent_object_id, whichever it names.
	m.AgentClientID, m.AgentObjectID = guidOf(id), guidOf(id)
	m.setFromGraph(app, scope)
	m.Timeouts = nullTimeouts("create", "read", "update", "delete")
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// consentTextAttribute is one of the scope's consent texts: optional, never empty, with the LKPS guide's
// value as its default, or unset by default when the guide gives none.
func consentTextAttribute(description, guideValue string) schema.StringAttribute {
	a := schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)}}
	if guideValue == "" {
		a.MarkdownDescription = description + " Unset by default."
		return a
	}
	a.MarkdownDescription = description + " Defaults to the LKPS guide's value, `" + guideValue + "`."
	a.Computed, a.Default = true, stringdefault.StaticString(guideValue)
	return a
}

// managedScopeOf finds the scope an import takes over: the one with scopeID when given; else the
// access_as_client scope; else the scope with the ID this provider derives for the agent, whatever its
// value now is (the portal may have renamed it; the next plan then repairs the value).
func managedScopeOf(app model.Application, scopeID string) (model.PermissionScope, bool) {
	if scopeID != "" {
		return app.Scope(scopeID)
	}
	if s, ok := app.ScopeByValue(environments.ClientScopeValue); ok {
		return s, true
	}
	return app.Scope(stableScopeID(app.AppID))
}

// ModifyPlan fills the defaults that depend on the agent's client ID, so that they are known at plan
// time: the ID, the Application ID URI (also when it went missing out of band, which shows the repair)
// and the scope ID.
func (r *agentClientScopeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config agentClientScopeResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || !isSet(plan.AgentClientID) {
		return // known only after the agent is resolved, at apply
	}
	appID := plan.AgentClientID.ValueString()
	if config.IdentifierURI.IsNull() {
		plan.IdentifierURI = types.StringValue(defaultIdentifierURI(appID))
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("identifier_uri"), plan.IdentifierURI)...)
	}
	if config.ScopeID.IsNull() && plan.ScopeID.IsUnknown() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("scope_id"), stableScopeID(appID))...)
	}
	if plan.ID.IsUnknown() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), strings.ToLower(appID))...)
	}
	if !req.State.Raw.IsNull() {
		var state agentClientScopeResourceModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if identifierURIToEnsure(plan, state) {
			// Update adds the URI if it is missing (again), and then knows whether it added it: an agent
			// may have had it before, or lost it out of band since.
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("identifier_uri_added"), types.BoolUnknown())...)
		}
	}
}

// identifierURIToEnsure reports whether an update must ensure the planned identifier URI: it changed,
// or the refresh found it missing.
func identifierURIToEnsure(plan, state agentClientScopeResourceModel) bool {
	return plan.IdentifierURI.IsUnknown() || state.IdentifierURI.IsNull() ||
		!strings.EqualFold(plan.IdentifierURI.ValueString(), state.IdentifierURI.ValueString())
}

// readInto refreshes m from Graph. It reports gone=true when the application or the scope (found by its
// ID) no longer exists, so that Read can remove the resource and the next plan re-creates it. A scope
// whose value or type was changed elsewhere (renamed in the portal) is still this resource's: its
// value and type go into m, so that the next plan shows the in-place repair.
//
// Graph replicas lag: a read straight after a write (this process's, or the apply that ran before this
// plan) may return an older application. So the read expects exactly what m records, and only a
// difference that persists on a read started graph_replication_lag after the command began counts as a change made elsewhere.
func (r *agentClientScopeResource) readInto(ctx context.Context, client *graph.Client, ref model.AppRef, m *agentClientScopeResourceModel, diags *diag.Diagnostics) (gone bool) {
	want := m.toScope()
	uri := m.IdentifierURI.ValueString()
	read, ok := r.data.refreshAgent(ctx, client, ref, "read the agent application", func(app model.Application) bool {
		s, ok := app.Scope(want.ID)
		return ok && sameScope(s, want) && (uri == "" || containsFold(app.IdentifierURIs, uri))
	}, diags)
	if !ok || read.gone {
		return read.gone
	}
	scope, found := read.app.Scope(m.ScopeID.ValueString())
	if !found {
		return true
	}
	m.setFromGraph(read.app, scope)
	return false
}

// sameScope reports whether Graph's scope is the one the model describes.
func sameScope(got, want model.PermissionScope) bool {
	return got.Value == want.Value && got.Type == want.Type && got.Enabled == want.Enabled &&
		got.AdminConsentDisplayName == want.AdminConsentDisplayName && got.AdminConsentDescription == want.AdminConsentDescription &&
		got.UserConsentDisplayName == want.UserConsentDisplayName && got.UserConsentDescription == want.UserConsentDescription
}

// defaultIdentifierURI is the portal's default Application ID URI.
func defaultIdentifierURI(appID string) string { return agentid.DefaultIdentifierURI(appID) }

// defaultWriteTimeout and defaultReadTimeout apply when the timeouts block is absent. Writes include
// the confirmation that the change is visible on Graph's replicas.
const (
	defaultWriteTimeout = 10 * time.Minute
	defaultReadTimeout  = 5 * time.Minute
)

func (m *agentClientScopeResourceModel) timeoutsBlock() timeouts.Value { return m.Timeouts }
