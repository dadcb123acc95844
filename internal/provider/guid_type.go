package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// GUIDs (client IDs, object IDs, scope IDs) compare case-insensitively in Entra ID, and Graph answers
// them in lower case whatever case they were written in. Users copy them from the portal, from
// scripts or from colleagues in any case. guidType makes the framework treat two spellings of one
// GUID as the same value: a value read back from Graph in another case keeps the user's spelling in
// the state (semantic equality), so there is no "inconsistent result after apply" and no perpetual
// diff. guidRequiresReplace makes a case-only change of the configuration no change at all.

var (
	_ basetypes.StringTypable                    = guidType{}
	_ basetypes.StringValuableWithSemanticEquals = guidValue{}
)

// guidType is the custom string type of every GUID attribute of the provider's resources.
type guidType struct {
	basetypes.StringType
}

func (t guidType) Equal(o attr.Type) bool {
	other, ok := o.(guidType)
	return ok && t.StringType.Equal(other.StringType)
}

func (guidType) String() string { return "provider.guidType" }

func (guidType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return guidValue{StringValue: in}, nil
}

func (t guidType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return guidValue{StringValue: s}, nil
}

func (guidType) ValueType(context.Context) attr.Value { return guidValue{} }

// guidValue is a GUID as the user or Graph spelled it.
type guidValue struct {
	basetypes.StringValue
}

func (v guidValue) Type(context.Context) attr.Type { return guidType{} }

func (v guidValue) Equal(o attr.Value) bool {
	other, ok := o.(guidValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals reports whether two known GUIDs are the same GUID, ignoring case. The framework
// then keeps the prior (user's) spelling.
func (v guidValue) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	newValue, ok := newValuable.(guidValue)
	if !ok {
		diags.AddError("Semantic Equality Check Error",
			fmt.Sprintf("An unexpected value type was received while comparing GUIDs: %T. This is always a bug in the provider; "+
				"please report it to the provider developers.", newValuable))
		return false, diags
	}
	return strings.EqualFold(v.ValueString(), newValue.ValueString()), diags
}

// guidOf builds a known GUID value.
func guidOf(s string) guidValue { return guidValue{StringValue: basetypes.NewStringValue(s)} }

// keepSpelling returns current when it names the same GUID as fromGraph (keeping the user's spelling),
// else fromGraph. Models use it where they are filled from Graph without the framework's semantic
// equality (import, and values the framework compares with a different prior value).
func keepSpelling(current guidValue, fromGraph string) guidValue {
	if isSet(current) && strings.EqualFold(current.ValueString(), fromGraph) {
		return current
	}
	return guidOf(fromGraph)
}

// guidAttributeNote ends the description of every GUID attribute that identifies what a resource manages.
const guidAttributeNote = "Any case is accepted; changing it to another GUID replaces the resource, a change of case alone " +
	"changes nothing (the plan is empty and the state keeps the spelling it has)."

// guidRequiresReplace replaces the resource when a GUID attribute changes to another GUID. A change of
// case alone plans no change at all: the planned value is the prior state's spelling (Terraform accepts
// a planned value equal to the prior state in place of the configuration's, for a value the provider
// deems equivalent), so neither this resource nor anything that refers to the attribute shows a diff,
// in either direction. With ifConfigured, only a configured value can require replacement (as
// stringplanmodifier.RequiresReplaceIfConfigured).
func guidRequiresReplace(ifConfigured bool) planmodifier.String {
	return guidPlanModifier{ifConfigured: ifConfigured}
}

type guidPlanModifier struct{ ifConfigured bool }

const guidPlanModifierDescription = "Changing the value to another GUID replaces the resource; a change of case alone plans no change."

func (guidPlanModifier) Description(context.Context) string { return guidPlanModifierDescription }
func (guidPlanModifier) MarkdownDescription(context.Context) string {
	return guidPlanModifierDescription
}

func (m guidPlanModifier) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return // create or destroy
	}
	if m.ifConfigured && req.ConfigValue.IsNull() {
		return
	}
	if req.PlanValue.IsUnknown() || req.StateValue.IsNull() || req.StateValue.IsUnknown() {
		resp.RequiresReplace = true
		return
	}
	if strings.EqualFold(req.PlanValue.ValueString(), req.StateValue.ValueString()) {
		resp.PlanValue = req.StateValue // the same GUID: keep the state's spelling, plan nothing
		return
	}
	resp.RequiresReplace = true
}
