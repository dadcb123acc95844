package provider

import (
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/agentid"
)

// stableScopeID derives the access_as_client scope ID of an agent from its ID (agentid.StableScopeID),
// so that the ID is known at plan time and the same on every run.
func stableScopeID(agentID string) string { return agentid.StableScopeID(agentID) }

// containsFold reports whether list contains s, ignoring case (Graph IDs compare case-insensitively).
func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// containsFoldSubstring reports whether s contains sub, ignoring case.
func containsFoldSubstring(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// optionalString maps "" (Graph's and LKPS's unset) to null.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
