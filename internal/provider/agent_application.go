package provider

import (
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// scopeIDNamespace is the UUIDv5 namespace of the stable access_as_client scope IDs. Never change it:
// existing configurations rely on the IDs derived from it.
var scopeIDNamespace = uuid.MustParse("6f1c2a4e-3b8d-5e7f-9a0b-1c2d3e4f5a6b")

// stableScopeID derives the access_as_client scope ID of an agent from its ID, so that the ID is known
// at plan time and the same on every run.
func stableScopeID(agentID string) string {
	return uuid.NewSHA1(scopeIDNamespace, []byte(strings.ToLower(agentID)+"/access_as_client")).String()
}

// agentRef names the agent application by whichever of its IDs is known, preferring the client ID.
func agentRef(clientID, objectID guidValue) graph.AppRef {
	if isSet(clientID) {
		return graph.ByAppID(clientID.ValueString())
	}
	return graph.ByObjectID(objectID.ValueString())
}

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

// optionalString maps Graph's "" (unset) to null.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
