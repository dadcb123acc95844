package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// parseGUIDImportID checks that an import ID is a single GUID and returns it in lower case.
func parseGUIDImportID(id, form, example string, diags *diag.Diagnostics) (string, bool) {
	id = strings.TrimSpace(id)
	if !guidPattern.MatchString(id) {
		diags.AddError("Invalid import ID",
			fmt.Sprintf("Expected %s, a GUID, for example\n\n  %s\n\ngot %q.", form, example, id))
		return "", false
	}
	return strings.ToLower(id), true
}
