// Package azureadstandin is a test-only stand-in for the hashicorp/azuread provider (v3), whose
// module the Go module proxy does not serve. It serves three of azuread's resource types with
// azuread v3's type names, schemas (schema version 0) and state format, so that acceptance tests can
// write the state a team on azuread has and then move it to lkps with `moved` blocks:
//
//   - azuread_application_identifier_uri: application_id, identifier_uri; id
//     "/applications/<object ID>/identifierUris/<base64 of the URI>".
//   - azuread_application_permission_scope: application_id, scope_id, value, type, the four consent
//     texts (the user ones "" when unset); id "/applications/<object ID>/permissionScopes/<scope ID>".
//   - azuread_application_pre_authorized: application_id, authorized_client_id, permission_ids; id
//     "<object ID>/preAuthorizedApplication/<client ID>".
//
// Every type has azuread's optional timeouts block. The stand-in makes no Graph calls: a test puts
// the matching objects into the emulator itself, as azuread would have, and the stand-in only records
// the state azuread records. It is never part of the provider binary.
package azureadstandin

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// New returns the stand-in provider.
func New() provider.Provider { return &standin{} }

type standin struct{}

func (p *standin) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "azuread"
	resp.Version = "3.9.0-standin"
}

// Schema accepts the azuread provider settings tests may write; none is used.
func (p *standin) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{Attributes: map[string]pschema.Attribute{
		"tenant_id": pschema.StringAttribute{Optional: true},
		"client_id": pschema.StringAttribute{Optional: true},
	}}
}

func (p *standin) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p *standin) DataSources(context.Context) []func() datasource.DataSource { return nil }

func (p *standin) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &stateOnly{kind: kindIdentifierURI} },
		func() resource.Resource { return &stateOnly{kind: kindPermissionScope} },
		func() resource.Resource { return &stateOnly{kind: kindPreAuthorized} },
	}
}

type kind int

const (
	kindIdentifierURI kind = iota
	kindPermissionScope
	kindPreAuthorized
)

// stateOnly is one of the three resource types: create and update record the planned state with
// azuread's ID, read keeps it, delete forgets it.
type stateOnly struct{ kind kind }

func (r *stateOnly) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + map[kind]string{
		kindIdentifierURI:   "_application_identifier_uri",
		kindPermissionScope: "_application_permission_scope",
		kindPreAuthorized:   "_application_pre_authorized",
	}[r.kind]
}

func timeoutsBlock() schema.Block {
	return schema.SingleNestedBlock{Attributes: map[string]schema.Attribute{
		"create": schema.StringAttribute{Optional: true},
		"read":   schema.StringAttribute{Optional: true},
		"update": schema.StringAttribute{Optional: true},
		"delete": schema.StringAttribute{Optional: true},
	}}
}

func (r *stateOnly) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	attrs := map[string]schema.Attribute{
		"id":             schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"application_id": schema.StringAttribute{Required: true, PlanModifiers: replace},
	}
	switch r.kind {
	case kindIdentifierURI:
		attrs["identifier_uri"] = schema.StringAttribute{Required: true, PlanModifiers: replace}
	case kindPermissionScope:
		attrs["scope_id"] = schema.StringAttribute{Required: true, PlanModifiers: replace}
		attrs["value"] = schema.StringAttribute{Required: true}
		attrs["type"] = schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("User")}
		attrs["admin_consent_description"] = schema.StringAttribute{Required: true}
		attrs["admin_consent_display_name"] = schema.StringAttribute{Required: true}
		attrs["user_consent_description"] = schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("")}
		attrs["user_consent_display_name"] = schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("")}
	case kindPreAuthorized:
		attrs["authorized_client_id"] = schema.StringAttribute{Required: true, PlanModifiers: replace}
		attrs["permission_ids"] = schema.SetAttribute{Required: true, ElementType: types.StringType,
			PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()}}
	}
	resp.Schema = schema.Schema{Version: 0, Attributes: attrs, Blocks: map[string]schema.Block{"timeouts": timeoutsBlock()}}
}

// id builds azuread's ID of the planned object.
func (r *stateOnly) id(ctx context.Context, plan tfsdk.Plan) (string, error) {
	get := func(name string) string {
		var v types.String
		plan.GetAttribute(ctx, path.Root(name), &v)
		return v.ValueString()
	}
	app := get("application_id")
	objectID, ok := strings.CutPrefix(app, "/applications/")
	if !ok {
		return "", fmt.Errorf("application_id must be /applications/<object ID>, got %q", app)
	}
	switch r.kind {
	case kindIdentifierURI:
		return app + "/identifierUris/" + base64.StdEncoding.EncodeToString([]byte(get("identifier_uri"))), nil
	case kindPermissionScope:
		return app + "/permissionScopes/" + get("scope_id"), nil
	default:
		return objectID + "/preAuthorizedApplication/" + get("authorized_client_id"), nil
	}
}

func (r *stateOnly) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	id, err := r.id(ctx, req.Plan)
	if err != nil {
		resp.Diagnostics.AddError("Invalid application_id", err.Error())
		return
	}
	resp.State.Raw = req.Plan.Raw
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

func (r *stateOnly) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *stateOnly) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (r *stateOnly) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
