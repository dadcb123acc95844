package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// List resources (Terraform 1.14 and later, `terraform query`): they find what was set up in the
// portal so that `terraform query -generate-config-out=FILE` writes the resource blocks and the import
// blocks (by identity) that adopt it with an empty plan.
//
// The resource objects of the results (include_resource = true, which -generate-config-out implies)
// are what an import followed by a refresh stores, except agent_object_id, which is left null: the
// generated configuration is made of the results' optional attributes, and the resources accept only
// one of agent_client_id and agent_object_id. The refresh after the import fills it in.

func (l *resourceBase) client(ctx context.Context, diags *diag.Diagnostics) (*graph.Client, bool) {
	if l.data == nil {
		diags.AddError("Provider not configured", "The lkps provider was not configured before listing; this is a bug in the provider.")
		return nil, false
	}
	return l.data.graph(ctx, diags)
}

// ---- lkps_agent_client_scope ----

type agentClientScopeList struct{ resourceBase }

type agentClientScopeListConfig struct {
	AgentClientIDs types.List `tfsdk:"agent_client_ids"`
}

func (l *agentClientScopeList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists agents that expose the `access_as_client` scope, one result per agent, for adoption with " +
			"`terraform query -generate-config-out`. Without `agent_client_ids`, the applications the provider's identity owns " +
			"are listed: for a service principal through Microsoft Graph's `GET /servicePrincipals/{id}/ownedObjects/microsoft.graph.application` " +
			"(with the `Application.Read.All` app role or one of the `Application.ReadWrite` roles, `OwnedBy` included), for a signed-in user (Azure CLI) through " +
			"`GET /me/ownedObjects/microsoft.graph.application`.",
		Attributes: map[string]schema.Attribute{
			"agent_client_ids": schema.ListAttribute{
				MarkdownDescription: "The client IDs (or object IDs) of the agents to list. If omitted, every application the " +
					"provider's identity owns is looked at.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.List{listvalidator.ValueStringsAre(guidValidator())},
			},
		},
	}
}

func (l *agentClientScopeList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	var cfg agentClientScopeListConfig
	diags.Append(req.Config.Get(ctx, &cfg)...)
	client, ok := l.client(ctx, &diags)
	if diags.HasError() || !ok {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	var ids []string
	diags.Append(cfg.AgentClientIDs.ElementsAs(ctx, &ids, true)...)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		var apps []model.Application
		if len(ids) == 0 {
			owned, err := client.OwnedApplications(ctx)
			if err != nil {
				var d diag.Diagnostics
				l.data.reportListError(&d, "list the applications the provider's identity owns", err,
					"Name the agents with agent_client_ids instead, or grant the provider's service principal a Microsoft Graph "+
						"app role that reads applications (Application.Read.All, or Application.ReadWrite.OwnedBy as pipelines have).")
				push(list.ListResult{Diagnostics: d})
				return
			}
			apps = owned
		}
		for _, id := range ids {
			ref := model.ByAnyID(id)
			app, err := client.GetApplication(ctx, ref)
			if err != nil {
				var d diag.Diagnostics
				l.data.reportGraphError(ctx, &d, "read the agent application", ref, err)
				if !push(list.ListResult{Diagnostics: d}) {
					return
				}
				continue
			}
			apps = append(apps, app)
		}
		for _, app := range apps {
			scope, found := app.ScopeByValue(environments.ClientScopeValue)
			if !found {
				continue // not an agent set up for client authorization
			}
			if !push(l.result(ctx, req, app, scope)) {
				return
			}
		}
	}
}

func (l *agentClientScopeList) result(ctx context.Context, req list.ListRequest, app model.Application, scope model.PermissionScope) list.ListResult {
	res := req.NewListResult(ctx)
	res.DisplayName = applicationLabel(app.DisplayName, app.AppID)
	res.Diagnostics.Append(res.Identity.Set(ctx, &agentClientScopeIdentity{AgentClientID: types.StringValue(strings.ToLower(app.AppID))})...)
	if req.IncludeResource {
		m := importedAgentClientScope(app, scope)
		m.AgentObjectID = nullGUID() // see the file comment
		res.Diagnostics.Append(res.Resource.Set(ctx, &m)...)
	}
	return res
}

// importedAgentClientScope is the state an import of the agent's scope records.
func importedAgentClientScope(app model.Application, scope model.PermissionScope) agentClientScopeResourceModel {
	var m agentClientScopeResourceModel
	m.IdentifierURI = types.StringNull()
	m.IdentifierURIAdded = types.BoolValue(false)
	m.setFromGraph(app, scope)
	m.Timeouts = nullTimeouts("create", "read", "update", "delete")
	return m
}

// ---- lkps_preauthorized_client ----

type preauthorizedClientList struct{ resourceBase }

type preauthorizedClientListConfig struct {
	AgentClientID types.String `tfsdk:"agent_client_id"`
	AgentObjectID types.String `tfsdk:"agent_object_id"`
}

func (l *preauthorizedClientList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the client applications pre-authorized for an agent's `access_as_client` scope, one result per " +
			"client, for adoption with `terraform query -generate-config-out`. Entries for other scopes of the agent are not " +
			"listed; a client entry that also holds other permission IDs is listed, and adopting it manages only the " +
			"`access_as_client` ID. The display name shows the client's application name when Microsoft Graph lets the " +
			"provider's identity read it.",
		Attributes: map[string]schema.Attribute{
			"agent_client_id": schema.StringAttribute{
				MarkdownDescription: "The client ID of the agent's app registration. Exactly one of `agent_client_id` and `agent_object_id` must be set.",
				Optional:            true,
				Validators:          []validator.String{guidValidator()},
			},
			"agent_object_id": schema.StringAttribute{
				MarkdownDescription: "The object ID of the agent's app registration, as an alternative to `agent_client_id`.",
				Optional:            true,
				Validators:          []validator.String{guidValidator()},
			},
		},
	}
}

func (l *preauthorizedClientList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	var cfg preauthorizedClientListConfig
	diags.Append(req.Config.Get(ctx, &cfg)...)
	if !diags.HasError() && isSet(cfg.AgentClientID) == isSet(cfg.AgentObjectID) {
		diags.AddAttributeError(path.Root("agent_client_id"), "Name the agent",
			"Set exactly one of agent_client_id and agent_object_id in the list block: the agent whose pre-authorized clients to list.")
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	client, ok := l.client(ctx, &diags)
	if !ok {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	ref := model.ByObjectID(cfg.AgentObjectID.ValueString())
	if isSet(cfg.AgentClientID) {
		ref = model.ByAppID(cfg.AgentClientID.ValueString())
	}
	app, err := client.GetApplication(ctx, ref)
	if err != nil {
		l.data.reportGraphError(ctx, &diags, "read the agent application", ref, err)
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	scope, found := app.ScopeByValue(environments.ClientScopeValue)
	if !found {
		diags.AddWarning("The agent exposes no access_as_client scope",
			fmt.Sprintf("The application %s has no %q scope, so no client is pre-authorized for it. Create the scope with "+
				"lkps_agent_client_scope first.", app.AppID, environments.ClientScopeValue))
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		for _, entry := range app.PreAuthorized {
			if !containsFold(entry.DelegatedPermissionIDs, scope.ID) {
				continue
			}
			res := req.NewListResult(ctx)
			name, err := client.ApplicationDisplayName(ctx, entry.AppID)
			if err != nil && !errors.Is(err, context.Canceled) {
				name = "" // the name is a convenience: a failed lookup leaves the client ID alone
			}
			res.DisplayName = applicationLabel(name, entry.AppID)
			res.Diagnostics.Append(res.Identity.Set(ctx, &preauthorizedClientIdentity{
				AgentClientID: types.StringValue(strings.ToLower(app.AppID)),
				ClientID:      types.StringValue(strings.ToLower(entry.AppID)),
			})...)
			if req.IncludeResource {
				var m preauthorizedClientResourceModel
				m.setFromGraph(app, entry)
				m.ScopeID = guidOf(scope.ID)
				m.Timeouts = nullTimeouts("create", "read", "delete")
				m.AgentObjectID = nullGUID() // see the file comment
				res.Diagnostics.Append(res.Resource.Set(ctx, &m)...)
			}
			if !push(res) {
				return
			}
		}
	}
}

// applicationLabel is a result's display name: "<name> (<client ID>)", or the client ID alone.
func applicationLabel(name, appID string) string {
	if name == "" {
		return strings.ToLower(appID)
	}
	return fmt.Sprintf("%s (%s)", name, strings.ToLower(appID))
}
