package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// Diagnostics of lkps_preauthorized_client that name the attribute at fault.

// clientLookupTimeout bounds the plan-time lookup of the client application.
const clientLookupTimeout = 30 * time.Second

// visibleClients remembers, per Graph endpoint, the client IDs found visible by this process, so that
// the plan and the apply of one run, and many resources naming one client, look each up once.
var visibleClients sync.Map

// addPreauthorizeError reports a failed pre-authorization: a scope_id that is not a scope of the agent is
// an error on scope_id that says what to use instead; anything else is a Graph error.
func addPreauthorizeError(diags *diag.Diagnostics, ref graph.AppRef, agentAppID, scopeID string, err error) {
	if errors.Is(err, graph.ErrScopeNotFound) {
		diags.AddAttributeError(path.Root("scope_id"), "Scope not found on the agent",
			fmt.Sprintf("The scope %s does not exist on agent %s: it is not one of the agent application's "+
				"api.oauth2PermissionScopes, so it cannot be pre-authorized.\n\n"+
				"Use scope_id = lkps_agent_client_scope.<name>.scope_id, which also makes Terraform create the scope first, "+
				"or omit scope_id to use the agent's %s scope.", scopeID, agentAppID, environments.ClientScopeValue))
		return
	}
	addGraphError(diags, "pre-authorize the client application", ref, err)
}

// warnIfClientNotVisible warns at plan time when no application or service principal with client_id is
// visible in the tenant. Graph accepts such a pre-authorization (the client may live in another tenant),
// so it is only a warning; it catches a mistyped or wrong ID before LKPS refuses the client's sessions.
// A failed lookup (no credentials, no read permission) is logged, not reported: the apply reports it.
func (r *preauthorizedClientResource) warnIfClientNotVisible(ctx context.Context, plan preauthorizedClientResourceModel, diags *diag.Diagnostics) {
	if r.data == nil || r.data.credentialErr != nil || !isSet(plan.ClientID) {
		return
	}
	var graphDiags diag.Diagnostics
	client, ok := r.data.graph(ctx, &graphDiags)
	if !ok {
		return
	}
	if client.Mutating() {
		// The apply re-plans each resource right before creating it; the plan (this run's, or the
		// terraform plan that wrote a saved plan) showed the warning already.
		return
	}
	ctx, cancel := context.WithTimeout(ctx, clientLookupTimeout)
	defer cancel()
	clientID := plan.ClientID.ValueString()
	key := r.data.entry.GraphBaseURL + "|" + strings.ToLower(clientID)
	if _, seen := visibleClients.Load(key); seen {
		return // applications rarely disappear; the plan and apply phases of one run need not ask twice
	}
	visible, err := client.ClientVisible(ctx, clientID)
	if err == nil && visible {
		visibleClients.Store(key, true)
	}
	if err != nil {
		tflog.Debug(ctx, "Could not look up the client application", map[string]any{"client_id": clientID, "error": err.Error()})
		return
	}
	if !visible {
		diags.AddAttributeWarning(path.Root("client_id"), "Client application not found in the tenant",
			fmt.Sprintf("No application or service principal with client ID %s is visible in the tenant. The pre-authorization "+
				"is accepted anyway (Microsoft Graph allows it, and the client may be registered in another tenant), but if the "+
				"client lives in this tenant, client_id is wrong: use the \"Application (client) ID\" from the client app "+
				"registration's Overview page, not its object ID.", clientID))
	}
}
