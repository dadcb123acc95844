package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// guidValidator accepts a GUID such as an application (client) ID, object ID, tenant ID or scope ID.
func guidValidator() validator.String { return guidStringValidator{} }

type guidStringValidator struct{}

func (guidStringValidator) Description(context.Context) string {
	return "value must be a GUID such as 00000000-0000-0000-0000-000000000000"
}

func (v guidStringValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (guidStringValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if s := req.ConfigValue.ValueString(); !guidPattern.MatchString(s) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid GUID",
			fmt.Sprintf("%s must be a GUID in the form 00000000-0000-0000-0000-000000000000 (as shown in the Azure portal), got %q.", req.Path, s))
	}
}
