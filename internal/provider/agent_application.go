package provider

import (
	"context"
	"errors"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/agentid"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// stableScopeID derives the access_as_client scope ID of an agent from its ID (agentid.StableScopeID),
// so that the ID is known at plan time and the same on every run.
func stableScopeID(agentID string) string { return agentid.StableScopeID(agentID) }

// agentRef names the agent application by whichever of its IDs is known, preferring the client ID.
func agentRef(clientID, objectID guidValue) graph.AppRef {
	if isSet(clientID) {
		return graph.ByAppID(clientID.ValueString())
	}
	return graph.ByObjectID(objectID.ValueString())
}

// agentForWrite reads the agent application named by the plan's agent_client_id or agent_object_id for
// a create that decides what it writes from it (graph.Client.GetApplicationForWrite), and reports a
// failure as a diagnostic.
func (d *providerData) agentForWrite(ctx context.Context, client *graph.Client, clientID, objectID guidValue, diags *diag.Diagnostics) (graph.Application, bool) {
	ref := agentRef(clientID, objectID)
	app, err := client.GetApplicationForWrite(ctx, ref)
	if err != nil {
		d.reportGraphError(ctx, diags, "read the agent application", ref, err)
		return graph.Application{}, false
	}
	return app, true
}

// agentIfExists reads the agent application with the client ID agentID for a check that also has an
// answer when there is none: exists is false when Graph says so; err is any other failure.
func agentIfExists(ctx context.Context, client *graph.Client, agentID string) (app graph.Application, exists bool, err error) {
	app, err = client.GetApplication(ctx, graph.ByAppID(agentID))
	if errors.Is(err, graph.ErrNotFound) {
		return app, false, nil
	}
	return app, true, err
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
