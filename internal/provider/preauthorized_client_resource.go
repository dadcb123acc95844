package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// preauthorizedClientResource pre-authorizes one client application for the agent's access_as_client
// scope (seed "Client-to-Agent Authorization", step 3).
type preauthorizedClientResource struct {
	resourceBase
	agentReferenced
}

// preauthorizedClientResourceModel maps the resource's schema.
type preauthorizedClientResourceModel struct {
	agentReference
	ID       types.String   `tfsdk:"id"`
	ClientID guidValue      `tfsdk:"client_id"`
	ScopeID  guidValue      `tfsdk:"scope_id"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// setFromGraph copies what Graph holds into the model; GUIDs keep the model's spelling when Graph's
// names the same GUID.
func (m *preauthorizedClientResourceModel) setFromGraph(app model.Application, entry model.PreAuthorizedApplication) {
	m.setAgent(app)
	m.ClientID = keepSpelling(m.ClientID, entry.AppID)
	m.ID = types.StringValue(preauthorizedClientID(app.AppID, entry.AppID))
}

// preauthorizedClientID is the resource's ID and import ID: "<agent client ID>/<client ID>".
func preauthorizedClientID(agentAppID, clientAppID string) string {
	return strings.ToLower(agentAppID) + "/" + strings.ToLower(clientAppID)
}

func (r *preauthorizedClientResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.UseStateForUnknown(), guidRequiresReplace(true)}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Pre-authorizes one client application for an agent's `access_as_client` scope, so that LKPS lets " +
			"the client start sessions with the agent (step 3 of the LKPS guide *Client-to-Agent Authorization*, " +
			"\"Authorized client applications\" in the portal). Use one resource per client, for example with `for_each`.\n\n" +
			"The resource adds its scope ID to the client's entry in `api.preAuthorizedApplications` and removes only that ID " +
			"on destroy (and the entry, if nothing else is left in it). Entries of other clients and other permission IDs of " +
			"the same client are never touched. Many of these resources can be applied in parallel: changes to one " +
			"application are serialized and grouped inside the provider and each is confirmed visible before it returns.",
		Attributes: agentReferenceAttributes(map[string]schema.Attribute{
			"id": idAttribute("The import ID, `<agent client ID>/<client ID>`, in lower case."),
			"client_id": schema.StringAttribute{
				MarkdownDescription: "The client ID (application ID) of the client application to pre-authorize, as its owners " +
					"provide it. " + guidAttributeNote,
				Required:      true,
				CustomType:    guidType{},
				Validators:    []validator.String{guidValidator()},
				PlanModifiers: []planmodifier.String{guidRequiresReplace(false)},
			},
			"scope_id": schema.StringAttribute{
				MarkdownDescription: "The ID of the agent's `access_as_client` scope, usually `lkps_agent_client_scope.<name>.scope_id` " +
					"(which also orders the two resources). If omitted, the agent's `access_as_client` scope is looked up when " +
					"the resource is created. " + guidAttributeNote,
				Optional: true, Computed: true,
				CustomType:    guidType{},
				Validators:    []validator.String{guidValidator()},
				PlanModifiers: replace,
			},
			"timeouts": timeoutsAttribute(ctx, map[string]time.Duration{
				"create": defaultWriteTimeout, "read": defaultReadTimeout, "delete": defaultWriteTimeout,
			}),
		}),
	}
}

func (r *preauthorizedClientResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	createOnAgent(ctx, r.data, req, resp, r.create)
}

// create adds the scope ID to the client's entry of the agent application read for the write, once no
// other resource of this configuration claims the same pre-authorization.
func (r *preauthorizedClientResource) create(ctx context.Context, client *graph.Client, plan *preauthorizedClientResourceModel, app model.Application, resp *resource.CreateResponse) {
	if !isSet(plan.ScopeID) {
		scope, found := app.ScopeByValue(environments.ClientScopeValue)
		if !found {
			resp.Diagnostics.AddAttributeError(path.Root("scope_id"), "The agent exposes no access_as_client scope",
				fmt.Sprintf("The application %s has no %q scope to pre-authorize %s for. Create it first with lkps_agent_client_scope "+
					"and set scope_id = lkps_agent_client_scope.<name>.scope_id, which also makes Terraform create the scope first.",
					app.AppID, environments.ClientScopeValue, plan.ClientID.ValueString()))
			return
		}
		plan.ScopeID = guidOf(scope.ID)
	}
	ref := model.ByObjectID(app.ObjectID)
	claim := preauthorizationKey(app.ObjectID, plan.ClientID.ValueString(), plan.ScopeID.ValueString())
	if other, ok := r.data.preauthorizations.claim(claim, plan.ClientID.ValueString()); !ok {
		addDuplicatePreauthorizationError(&resp.Diagnostics, app.AppID, plan.ClientID.ValueString(), other, plan.ScopeID.ValueString())
		return
	}
	_, err := client.AddPreAuthorization(ctx, ref, plan.ClientID.ValueString(), plan.ScopeID.ValueString())
	if err != nil {
		r.data.preauthorizations.release(claim)
	}
	if errors.Is(err, model.ErrPreAuthorizationExists) {
		addPreauthorizationExistsError(&resp.Diagnostics, app.AppID, plan.ClientID.ValueString(), plan.ScopeID.ValueString())
		return
	}
	if err != nil {
		r.data.reportPreauthorizeError(ctx, &resp.Diagnostics, ref, app.AppID, plan.ScopeID.ValueString(), err)
		return
	}
	plan.setAgent(app)
	plan.ID = types.StringValue(preauthorizedClientID(app.AppID, plan.ClientID.ValueString()))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *preauthorizedClientResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state preauthorizedClientResourceModel
	r.data.withGraph(ctx, req.State.Get, &state, opRead, &resp.Diagnostics, func(ctx context.Context, client *graph.Client) {
		// Only an absence that persists past the replication lag counts as a deletion (refreshAgent).
		read, ok := r.data.refreshAgent(ctx, client, state.agentRef(), "read the agent application",
			func(app model.Application) bool {
				entry, ok := app.PreAuthorization(state.ClientID.ValueString())
				return ok && containsFold(entry.DelegatedPermissionIDs, state.ScopeID.ValueString())
			}, &resp.Diagnostics)
		switch {
		case !ok:
		case read.gone || !read.expected:
			resp.State.RemoveResource(ctx)
		default:
			entry, _ := read.app.PreAuthorization(state.ClientID.ValueString())
			state.setFromGraph(read.app, entry)
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		}
	})
}

// Update only ever changes the timeouts (every other attribute replaces the resource), so the plan, with
// no value unknown, is the new state.
func (r *preauthorizedClientResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (r *preauthorizedClientResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state preauthorizedClientResourceModel
	r.data.withGraph(ctx, req.State.Get, &state, opDelete, &resp.Diagnostics, func(ctx context.Context, client *graph.Client) {
		ref := model.ByObjectID(state.AgentObjectID.ValueString())
		err := client.RemovePreAuthorization(ctx, ref, state.ClientID.ValueString(), state.ScopeID.ValueString())
		if err != nil && !isGone(err) {
			r.data.reportGraphError(ctx, &resp.Diagnostics, "remove the pre-authorization", ref, err)
			return
		}
		r.data.preauthorizations.release(preauthorizationKey(state.AgentObjectID.ValueString(), state.ClientID.ValueString(), state.ScopeID.ValueString()))
	})
}

func (r *preauthorizedClientResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	parts := strings.Split(req.ID, "/")
	if len(parts) != 2 || !guidPattern.MatchString(parts[0]) || !guidPattern.MatchString(parts[1]) {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("Expected <agent client ID>/<client ID>, two GUIDs separated by a slash, for example\n\n"+
				"  terraform import lkps_preauthorized_client.example 11111111-1111-1111-1111-111111111111/22222222-2222-2222-2222-222222222222\n\ngot %q.", req.ID))
		return
	}
	client, ok := r.data.graph(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	ref := model.ByAnyID(parts[0])
	app, err := client.GetApplication(ctx, ref)
	if err != nil {
		if errors.Is(err, model.ErrNotFound) && addIfImportIDsSwapped(ctx, client, parts[0], parts[1], &resp.Diagnostics) {
			return
		}
		r.data.reportGraphError(ctx, &resp.Diagnostics, "read the agent application to import", ref, err)
		return
	}
	entry, found := app.PreAuthorization(parts[1])
	if !found {
		if addIfImportIDsSwapped(ctx, client, parts[0], parts[1], &resp.Diagnostics) {
			return
		}
		resp.Diagnostics.AddError("Nothing to import",
			fmt.Sprintf("The client application %s is not pre-authorized on the agent %s. Create the resource instead of importing it.", parts[1], app.AppID))
		return
	}
	scope, found := app.ScopeByValue(environments.ClientScopeValue)
	if !found || !containsFold(entry.DelegatedPermissionIDs, scope.ID) {
		resp.Diagnostics.AddError("Nothing to import",
			fmt.Sprintf("The client application %s is pre-authorized on the agent %s, but not for its %q scope, which is what this "+
				"resource manages. Create the resource instead of importing it.", parts[1], app.AppID, environments.ClientScopeValue))
		return
	}
	// The import ID's GUIDs keep their spelling; the scope ID is Graph's.
	m := preauthorizedClientResourceModel{agentReference: agentReference{AgentClientID: guidOf(parts[0]), AgentObjectID: guidOf(parts[0])}, ClientID: guidOf(parts[1])}
	m.setFromGraph(app, entry)
	m.ScopeID = guidOf(scope.ID)
	m.Timeouts = nullTimeouts("create", "read", "delete")
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// ModifyPlan makes the ID known at plan time when the agent and client IDs are.
func (r *preauthorizedClientResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || !req.State.Raw.IsNull() {
		return
	}
	var plan preauthorizedClientResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if isSet(plan.AgentClientID) && isSet(plan.ClientID) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), preauthorizedClientID(plan.AgentClientID.ValueString(), plan.ClientID.ValueString()))...)
	}
	r.warnIfClientNotVisible(ctx, plan, &resp.Diagnostics)
}

func (m *preauthorizedClientResourceModel) timeoutsBlock() timeouts.Value { return m.Timeouts }
