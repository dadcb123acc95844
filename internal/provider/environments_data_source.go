package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// The data source lkps_environments: the whole environment table, with the attributes of
// lkps_environment (environment_data_source.go).

// environmentsDataSource lists the whole environment table.
type environmentsDataSource struct{ dataSourceBase }

func (d *environmentsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := environmentOutputAttributes()
	attrs["environment"] = schema.StringAttribute{MarkdownDescription: "The LKPS environment, `nonprod` or `prod`.", Computed: true}
	attrs["region"] = schema.StringAttribute{MarkdownDescription: "The LKPS region, `eu` or `us`.", Computed: true}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the whole LKPS environment table (both environments in both regions), for example to " +
			"request Ocelot access for every route or to render documentation. Needs no credentials and makes no network call.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{MarkdownDescription: "A constant identifier, `all`.", Computed: true},
			"environments": schema.ListNestedAttribute{
				MarkdownDescription: "Every environment and region, ordered nonprod before prod and eu before us.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: attrs},
			},
		},
	}
}

func (d *environmentsDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	var list []environmentModel
	for _, e := range environments.All() {
		list = append(list, newEnvironmentModel(e))
	}
	value, diags := types.ListValueFrom(ctx, types.ObjectType{AttrTypes: environmentAttrTypes()}, list)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), "all")...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("environments"), value)...)
}

func environmentAttrTypes() map[string]attr.Type {
	attrTypes := map[string]attr.Type{"environment": types.StringType, "region": types.StringType}
	for name := range environmentAttributeDescriptions {
		attrTypes[name] = types.StringType
	}
	return attrTypes
}
