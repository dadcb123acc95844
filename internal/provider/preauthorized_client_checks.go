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
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Diagnostics of lkps_preauthorized_client that name the attribute at fault.

// clientLookupTimeout bounds the plan-time lookup of the client application.
const clientLookupTimeout = 30 * time.Second

// visibleClients remembers, per Graph endpoint, the client IDs found visible by this process, so that
// the plan and the apply of one run, and many resources naming one client, look each up once.
var visibleClients sync.Map

// preauthorizationClaims records, per configured provider, the pre-authorizations its resources are
// creating or created in this run, keyed by agent object ID, client ID and scope ID in lower case, with
// the client ID as the resource spelled it. Entra ID compares client IDs ignoring case, so two
// resources naming one client in different spellings (or the same) would own one entry, and destroying
// either would revoke the other's: the second is refused as a duplicate before it writes anything.
var preauthorizationClaims = struct {
	sync.Mutex
	byProvider map[*providerData]map[string]string
}{byProvider: map[*providerData]map[string]string{}}

// preauthorizationKey is the claim key of one pre-authorization.
func preauthorizationKey(agentObjectID, clientID, scopeID string) string {
	return strings.ToLower(agentObjectID) + "|" + strings.ToLower(clientID) + "|" + strings.ToLower(scopeID)
}

// claimPreauthorization claims key for a resource of d that spells the client ID as spelled. When another
// resource of d claimed it first, it returns that resource's spelling and false.
func claimPreauthorization(d *providerData, key, spelled string) (other string, ok bool) {
	preauthorizationClaims.Lock()
	defer preauthorizationClaims.Unlock()
	claims := preauthorizationClaims.byProvider[d]
	if claims == nil {
		claims = map[string]string{}
		preauthorizationClaims.byProvider[d] = claims
	}
	if other, taken := claims[key]; taken {
		return other, false
	}
	claims[key] = spelled
	return "", true
}

// releasePreauthorization drops a claim: the create failed, or the resource was destroyed.
func releasePreauthorization(d *providerData, key string) {
	preauthorizationClaims.Lock()
	defer preauthorizationClaims.Unlock()
	delete(preauthorizationClaims.byProvider[d], key)
}

// addDuplicatePreauthorizationError refuses a second resource for a pre-authorization another resource
// of the same configuration manages.
func addDuplicatePreauthorizationError(diags *diag.Diagnostics, agentAppID, clientID, otherSpelling, scopeID string) {
	spelling := fmt.Sprintf("spelled %s in both", clientID)
	if otherSpelling != clientID {
		spelling = fmt.Sprintf("spelled %s there and %s here; Entra ID ignores the case of client IDs", otherSpelling, clientID)
	}
	diags.AddAttributeError(path.Root("client_id"), "Duplicate pre-authorization in this configuration",
		fmt.Sprintf("Another lkps_preauthorized_client in this configuration already pre-authorizes client application %s "+
			"for scope %s of agent %s (%s). Two resources would own one entry, and destroying either would revoke the "+
			"other's.\n\nRemove the duplicate resource: keep one lkps_preauthorized_client per client and agent (with for_each, "+
			"list each client ID once). Do not import the entry into this resource.",
			strings.ToLower(clientID), strings.ToLower(scopeID), strings.ToLower(agentAppID), spelling))
}

// addPreauthorizationExistsError reports a pre-authorization that existed before this run: import it, or,
// if another configuration manages it, drop this resource.
func addPreauthorizationExistsError(diags *diag.Diagnostics, agentAppID, clientID, scopeID string) {
	id := preauthorizedClientID(agentAppID, clientID)
	diags.AddAttributeError(path.Root("client_id"), "The client is already pre-authorized",
		fmt.Sprintf("The client application %s is already pre-authorized for scope %s on the agent %s, and no other resource "+
			"of this configuration created it in this run. To manage the existing pre-authorization with Terraform, import it:\n\n"+
			"  terraform import lkps_preauthorized_client.<name> %s\n\nor, with Terraform 1.5 and later, an import block with id = %q. "+
			"If another Terraform configuration (or another resource of this one) already manages it, remove this resource "+
			"instead: two resources owning one entry revoke it for each other on destroy.",
			clientID, scopeID, agentAppID, id, id))
}

// addPreauthorizeError reports a failed pre-authorization: a scope_id that is not a scope of the agent is
// an error on scope_id that says what to use instead; anything else is a Graph error.
func (d *providerData) addPreauthorizeError(ctx context.Context, diags *diag.Diagnostics, ref graph.AppRef, agentAppID, scopeID string, err error) {
	if errors.Is(err, model.ErrScopeNotFound) {
		diags.AddAttributeError(path.Root("scope_id"), "Scope not found on the agent",
			fmt.Sprintf("The scope %s does not exist on agent %s: it is not one of the agent application's "+
				"api.oauth2PermissionScopes, so it cannot be pre-authorized.\n\n"+
				"Use scope_id = lkps_agent_client_scope.<name>.scope_id, which also makes Terraform create the scope first, "+
				"or omit scope_id to use the agent's %s scope.", scopeID, agentAppID, environments.ClientScopeValue))
		return
	}
	d.reportGraphError(ctx, diags, "pre-authorize the client application", ref, err)
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
