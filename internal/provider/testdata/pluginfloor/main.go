// Command pluginfloor is the figures' plugin floor (make figures, figures_test.go): a provider that serves
// the lkps resources' schemas, as a plugin process, and does nothing else. Create and Update store the plan
// (unknown values filled in), Read keeps the state, Delete forgets it: no Graph, no LKPS. Timed beside
// terraform_data and lkps in one layout, it tells Terraform's plugin protocol apart from the provider's
// own work. It lives under testdata so that only the figures build it.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	lkps "github.com/bayer/terraform-provider-lkps/internal/provider"
)

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return floorProvider{} },
		providerserver.ServeOpts{Address: "registry.terraform.io/bayer/lkpsfloor"})
	if err != nil {
		log.Fatal(err)
	}
}

// floorProvider serves lkps's resources under their own type names, without configuration.
type floorProvider struct{}

func (floorProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "lkps"
}

func (floorProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (floorProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (floorProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// Resources wraps every resource of lkps (its schema, with the plan modifiers in it) in floorResource.
func (floorProvider) Resources(ctx context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, newResource := range lkps.New("floor", "none")().Resources(ctx) {
		out = append(out, func() resource.Resource { return floorResource{inner: newResource()} })
	}
	return out
}

// floorResource is a resource of lkps that stores what Terraform plans.
type floorResource struct{ inner resource.Resource }

func (r floorResource) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	r.inner.Metadata(ctx, req, resp)
}

func (r floorResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.inner.Schema(ctx, req, resp)
}

func (floorResource) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.State.Raw, resp.Diagnostics = known(req.Plan.Raw), nil
}

func (floorResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (floorResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = known(req.Plan.Raw)
}

func (floorResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// known fills the plan's unknown values (computed attributes): a GUID for a string (every computed string
// of lkps accepts one), false for a bool, null otherwise.
func known(plan tftypes.Value) tftypes.Value {
	v, err := tftypes.Transform(plan, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		switch {
		case v.IsKnown():
			return v, nil
		case v.Type().Is(tftypes.String):
			return tftypes.NewValue(tftypes.String, "00000000-0000-4000-8000-000000000000"), nil
		case v.Type().Is(tftypes.Bool):
			return tftypes.NewValue(tftypes.Bool, false), nil
		default:
			return tftypes.NewValue(v.Type(), nil), nil
		}
	})
	if err != nil {
		panic(err) // Transform fails only when the callback does
	}
	return v
}
