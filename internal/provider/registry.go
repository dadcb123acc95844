package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Everything the provider serves, in one place: each resource, data source, list resource, function and
// action with its constructor, the framework interfaces it implements (checked at compile time), and the
// bases that give each its type name and the provider's data. Each is implemented in its own file, named
// after it.

var (
	_ provider.Provider                   = (*lkpsProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*lkpsProvider)(nil)
	_ provider.ProviderWithFunctions      = (*lkpsProvider)(nil)
	_ provider.ProviderWithActions        = (*lkpsProvider)(nil)
	_ provider.ProviderWithListResources  = (*lkpsProvider)(nil)

	_ resource.ResourceWithConfigure        = (*agentClientScopeResource)(nil)
	_ resource.ResourceWithConfigValidators = (*agentClientScopeResource)(nil)
	_ resource.ResourceWithConfigure        = (*preauthorizedClientResource)(nil)
	_ resource.ResourceWithConfigValidators = (*preauthorizedClientResource)(nil)
	_ resource.ResourceWithConfigure        = (*agentRegistrationResource)(nil)
	_ resource.ResourceWithValidateConfig   = (*agentRegistrationResource)(nil)

	// The resources as served: with their identities, import ID forms and moves (identity.go, move_azuread.go).
	_ resource.ResourceWithIdentity    = (*agentClientScopeWithIdentity)(nil)
	_ resource.ResourceWithImportState = (*agentClientScopeWithIdentity)(nil)
	_ resource.ResourceWithModifyPlan  = (*agentClientScopeWithIdentity)(nil)
	_ resource.ResourceWithMoveState   = (*agentClientScopeWithIdentity)(nil)
	_ resource.ResourceWithIdentity    = (*preauthorizedClientWithIdentity)(nil)
	_ resource.ResourceWithImportState = (*preauthorizedClientWithIdentity)(nil)
	_ resource.ResourceWithModifyPlan  = (*preauthorizedClientWithIdentity)(nil)
	_ resource.ResourceWithMoveState   = (*preauthorizedClientWithIdentity)(nil)
	_ resource.ResourceWithIdentity    = (*agentRegistrationWithIdentity)(nil)
	_ resource.ResourceWithImportState = (*agentRegistrationWithIdentity)(nil)
	_ resource.ResourceWithModifyPlan  = (*agentRegistrationWithIdentity)(nil)

	_ datasource.DataSourceWithConfigure = (*environmentDataSource)(nil)
	_ datasource.DataSource              = (*environmentsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*clientAuthorizationDataSource)(nil)

	_ list.ListResourceWithConfigure = (*agentClientScopeList)(nil)
	_ list.ListResourceWithConfigure = (*preauthorizedClientList)(nil)

	_ function.Function = agentIDFunction{}

	_ action.ActionWithConfigure      = (*sessionStartAction)(nil)
	_ action.ActionWithValidateConfig = (*sessionStartAction)(nil)
)

// NewAgentClientScopeResource returns the lkps_agent_client_scope resource (agent_client_scope_resource.go).
func NewAgentClientScopeResource() resource.Resource { return newAgentClientScopeResource() }

func newAgentClientScopeResource() *agentClientScopeResource {
	return &agentClientScopeResource{resourceBase: resourceBase{typeSuffix: "_agent_client_scope"}}
}

// NewPreauthorizedClientResource returns the lkps_preauthorized_client resource (preauthorized_client_resource.go).
func NewPreauthorizedClientResource() resource.Resource { return newPreauthorizedClientResource() }

func newPreauthorizedClientResource() *preauthorizedClientResource {
	return &preauthorizedClientResource{resourceBase: resourceBase{typeSuffix: "_preauthorized_client"}}
}

// NewAgentRegistrationResource returns the lkps_agent_registration resource (agent_registration_resource.go).
func NewAgentRegistrationResource() resource.Resource { return newAgentRegistrationResource() }

func newAgentRegistrationResource() *agentRegistrationResource {
	return &agentRegistrationResource{resourceBase{typeSuffix: "_agent_registration"}}
}

func (p *lkpsProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource {
			r := newAgentClientScopeResource()
			return &agentClientScopeWithIdentity{identified{r, agentClientScopeIdentitySpec()}, agentClientScopeServed{r}}
		},
		func() resource.Resource {
			r := newPreauthorizedClientResource()
			return &preauthorizedClientWithIdentity{identified{r, preauthorizedClientIdentitySpec()}, preauthorizedClientServed{r}}
		},
		func() resource.Resource {
			r := newAgentRegistrationResource()
			return &agentRegistrationWithIdentity{identified{r, agentRegistrationIdentitySpec(r)}, agentRegistrationServed{r}}
		},
	}
}

func (p *lkpsProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		func() datasource.DataSource {
			return &environmentDataSource{dataSourceBase{typeSuffix: "_environment"}}
		},
		func() datasource.DataSource {
			return &environmentsDataSource{dataSourceBase{typeSuffix: "_environments"}}
		},
		func() datasource.DataSource {
			return &clientAuthorizationDataSource{dataSourceBase{typeSuffix: "_client_authorization"}}
		},
	}
}

// ListResources returns the list resources of `terraform query` (list_resources.go).
func (p *lkpsProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		func() list.ListResource {
			return &agentClientScopeList{resourceBase{typeSuffix: "_agent_client_scope"}}
		},
		func() list.ListResource {
			return &preauthorizedClientList{resourceBase{typeSuffix: "_preauthorized_client"}}
		},
	}
}

// Functions are the provider-defined functions (agent_id_functions.go).
func (p *lkpsProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{newScopeIDFunction, newIdentifierURIFunction}
}

// Actions are the provider's actions (Terraform 1.14+; older CLIs and OpenTofu ignore them).
func (p *lkpsProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{newSessionStartAction}
}

// resourceBase is what every resource and list resource embeds: its type name after the provider's, and
// the provider's data, set by Configure (nil before the provider is configured).
type resourceBase struct {
	typeSuffix string
	data       *providerData
}

func (b *resourceBase) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + b.typeSuffix
}
func (b *resourceBase) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	b.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// dataSourceBase is resourceBase for the data sources.
type dataSourceBase resourceBase

func (b *dataSourceBase) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + b.typeSuffix
}
func (b *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	b.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}
