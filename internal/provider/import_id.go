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

// parseScopeImportID parses the import ID of lkps_agent_client_scope: "<agent ID>" or
// "<agent ID>/<scope ID>", each a GUID in any case (scopeID is "" in the first form). The agent ID may
// be its client ID or its object ID.
func parseScopeImportID(id string, diags *diag.Diagnostics) (agentID, scopeID string, ok bool) {
	id = strings.TrimSpace(id)
	agentID, scopeID, withScope := strings.Cut(id, "/")
	if !guidPattern.MatchString(agentID) || (withScope && !guidPattern.MatchString(scopeID)) {
		diags.AddError("Invalid import ID",
			fmt.Sprintf("Expected <agent client ID>, or <agent client ID>/<scope ID> for a scope that no longer has the value "+
				"access_as_client, each a GUID, for example\n\n"+
				"  terraform import lkps_agent_client_scope.example 00000000-0000-0000-0000-000000000000\n\ngot %q.", id))
		return "", "", false
	}
	return agentID, scopeID, true
}
