package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
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

// addIfImportIDsSwapped recognises a pre-authorization import ID written as <client ID>/<agent client ID>:
// the first ID names no agent that pre-authorizes the second, but the second names an application that
// pre-authorizes the first or exposes the access_as_client scope. It then reports the right order and
// returns true; otherwise it reports nothing.
func addIfImportIDsSwapped(ctx context.Context, client *graph.Client, first, second string, diags *diag.Diagnostics) bool {
	app, err := client.GetApplication(ctx, model.ByAnyID(second))
	if err != nil {
		return false
	}
	var why string
	if _, ok := app.PreAuthorization(first); ok {
		why = fmt.Sprintf("%s is an agent that pre-authorizes %s", second, first)
	} else if _, ok := app.ScopeByValue(environments.ClientScopeValue); ok {
		why = fmt.Sprintf("%s is an agent: it exposes the %s scope", second, environments.ClientScopeValue)
	} else {
		return false
	}
	id := preauthorizedClientID(app.AppID, first)
	diags.AddError("Import ID looks swapped",
		fmt.Sprintf("The IDs of the import ID %s/%s look swapped: %s, while %s is no agent that pre-authorizes %s. The "+
			"import ID is <agent client ID>/<client ID>, the agent first:\n\n"+
			"  terraform import lkps_preauthorized_client.<name> %s\n\nor an import block with id = %q.",
			first, second, why, first, second, id, id))
	return true
}
