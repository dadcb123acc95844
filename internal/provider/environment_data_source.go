package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// environmentDataSource looks up one entry of the environment table. It needs no credentials and makes
// no network call; the provider's environment and region are its defaults.
type environmentDataSource struct{ dataSourceBase }

// environmentModel is one entry of the table, shared by both data sources.
type environmentModel struct {
	ID              types.String `tfsdk:"id"`
	Environment     types.String `tfsdk:"environment"`
	Region          types.String `tfsdk:"region"`
	LKPSHost        types.String `tfsdk:"lkps_host"`
	LKPSBaseURL     types.String `tfsdk:"lkps_base_url"`
	LKPSAudience    types.String `tfsdk:"lkps_audience"`
	LKPSTokenScope  types.String `tfsdk:"lkps_token_scope"`
	LiveKitURL      types.String `tfsdk:"livekit_url"`
	TenantID        types.String `tfsdk:"tenant_id"`
	AuthorityHost   types.String `tfsdk:"authority_host"`
	TokenEndpoint   types.String `tfsdk:"token_endpoint"`
	GraphBaseURL    types.String `tfsdk:"graph_base_url"`
	OcelotUIURL     types.String `tfsdk:"ocelot_ui_url"`
	OcelotRouteURL  types.String `tfsdk:"ocelot_route_url"`
	OcelotAccessURL types.String `tfsdk:"ocelot_access_url"`
}

func newEnvironmentModel(e environments.Entry) environmentModel {
	return environmentModel{
		ID:              types.StringValue(e.Key()),
		Environment:     types.StringValue(string(e.Environment)),
		Region:          types.StringValue(string(e.Region)),
		LKPSHost:        types.StringValue(e.LKPSHost),
		LKPSBaseURL:     types.StringValue(e.LKPSBaseURL),
		LKPSAudience:    types.StringValue(e.LKPSAudience),
		LKPSTokenScope:  types.StringValue(e.LKPSScope),
		LiveKitURL:      types.StringValue(e.LiveKitURL),
		TenantID:        types.StringValue(e.TenantID),
		AuthorityHost:   types.StringValue(e.AuthorityHost),
		TokenEndpoint:   types.StringValue(e.TokenEndpoint),
		GraphBaseURL:    types.StringValue(e.GraphBaseURL),
		OcelotUIURL:     types.StringValue(e.OcelotUIURL),
		OcelotRouteURL:  types.StringValue(e.OcelotRouteURL),
		OcelotAccessURL: types.StringValue(e.OcelotAccessURL),
	}
}

// environmentAttributeDescriptions describes every output attribute once, for both data sources.
var environmentAttributeDescriptions = map[string]string{
	"id":                "The entry's identifier, `<environment>/<region>`.",
	"lkps_host":         "The host name of the LKPS Ocelot route, which is also the route's name in the Ocelot UI.",
	"lkps_base_url":     "The LKPS base URL through Ocelot, to which `/api/agent/register` and `/api/session/start` are appended.",
	"lkps_audience":     "The audience (`aud` claim) of LKPS access tokens that Ocelot accepts in this environment.",
	"lkps_token_scope":  "The scope to request LKPS tokens with in the client credentials flow (the audience plus `/.default`).",
	"livekit_url":       "The LiveKit SFU URL that LKPS returns as `livekit_url` for this environment and region.",
	"tenant_id":         "The Entra ID tenant that issues LKPS tokens.",
	"authority_host":    "The Entra ID authority host.",
	"token_endpoint":    "The tenant's OAuth 2.0 v2 token endpoint for the client credentials flow.",
	"graph_base_url":    "The Microsoft Graph base URL, without the version segment, that LKPS reads agent applications from.",
	"ocelot_ui_url":     "The Ocelot UI of the environment.",
	"ocelot_route_url":  "The Ocelot page of this LKPS route, where an application requests access to the route's Client Access List.",
	"ocelot_access_url": "The DevTools page where a person requests membership of the Ocelot Users group, needed to view Ocelot routes.",
}

func environmentOutputAttributes() map[string]schema.Attribute {
	attrs := map[string]schema.Attribute{}
	for name, desc := range environmentAttributeDescriptions {
		attrs[name] = schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	return attrs
}

func (d *environmentDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := environmentOutputAttributes()
	attrs["environment"] = schema.StringAttribute{
		MarkdownDescription: "The LKPS environment, `nonprod` or `prod`. Defaults to the provider's environment.",
		Optional:            true, Computed: true,
		Validators: []validator.String{stringvalidator.OneOf(environments.EnvironmentNames()...)},
	}
	attrs["region"] = schema.StringAttribute{
		MarkdownDescription: "The LKPS region, `eu` or `us`. Defaults to the provider's region.",
		Optional:            true, Computed: true,
		Validators: []validator.String{stringvalidator.OneOf(environments.RegionNames()...)},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up one LKPS environment and region: every URL, token scope, audience, tenant and Ocelot " +
			"link the LKPS guides document for it. The values are the documented ones, not the provider's endpoint " +
			"overrides. Needs no credentials and makes no network call.",
		Attributes: attrs,
	}
}

func (d *environmentDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg environmentModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	env, region := environments.DefaultEnvironment, environments.DefaultRegion
	if d.data != nil {
		env, region = d.data.entry.Environment, d.data.entry.Region
	}
	if isSet(cfg.Environment) {
		env = environments.Environment(cfg.Environment.ValueString())
	}
	if isSet(cfg.Region) {
		region = environments.Region(cfg.Region.ValueString())
	}
	e, err := environments.Lookup(env, region)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("environment"), "Unknown LKPS environment", err.Error())
		return
	}
	m := newEnvironmentModel(e)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
