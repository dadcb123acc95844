package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Diagnostics of lkps_preauthorized_client that name the attribute at fault.

// clientLookupTimeout bounds the plan-time lookup of the client application.
const clientLookupTimeout = 30 * time.Second

// preauthorizationClaims records the pre-authorizations the lkps_preauthorized_client resources of one
// provider configuration are creating or created in this run, keyed by agent object ID, client ID and
// scope ID in lower case, with the client ID as the resource spelled it. Entra ID compares client IDs
// ignoring case, so two resources naming one client in different spellings (or the same) would own one
// entry, and destroying either would revoke the other's: the second is refused as a duplicate before it
// writes anything. It lives in the provider's data, one per configured provider.
type preauthorizationClaims struct {
	mu     sync.Mutex
	claims map[string]string
}

// preauthorizationKey is the claim key of one pre-authorization.
func preauthorizationKey(agentObjectID, clientID, scopeID string) string {
	return strings.ToLower(agentObjectID) + "|" + strings.ToLower(clientID) + "|" + strings.ToLower(scopeID)
}

// claim claims key for a resource that spells the client ID as spelled. When another resource claimed it
// first, it returns that resource's spelling and false.
func (c *preauthorizationClaims) claim(key, spelled string) (other string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if other, taken := c.claims[key]; taken {
		return other, false
	}
	if c.claims == nil {
		c.claims = map[string]string{}
	}
	c.claims[key] = spelled
	return "", true
}

// release drops a claim: the create failed, or the resource was destroyed.
func (c *preauthorizationClaims) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.claims, key)
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

// warnIfClientNotVisible warns at plan time when no application or service principal with client_id is
// visible in the tenant. Graph accepts such a pre-authorization (the client may live in another tenant),
// so it is only a warning; it catches a mistyped or wrong ID before LKPS refuses the client's sessions.
// A failed lookup (no credentials, no read permission) is logged, not reported: the apply reports it.
func (r *preauthorizedClientResource) warnIfClientNotVisible(ctx context.Context, plan preauthorizedClientResourceModel, diags *diag.Diagnostics) {
	if !isSet(plan.ClientID) {
		return
	}
	ctx, cancel, client, ok := r.data.graphForCheck(ctx, clientLookupTimeout)
	defer cancel()
	if !ok || client.Mutating() {
		// Mutating: the apply re-plans each resource right before creating it; the plan (this run's, or
		// the terraform plan that wrote a saved plan) showed the warning already.
		return
	}
	clientID := plan.ClientID.ValueString()
	key := strings.ToLower(clientID)
	if _, seen := r.data.visibleClients.Load(key); seen {
		return // applications rarely disappear; the plan and apply phases of one run need not ask twice
	}
	visible, err := client.ClientVisible(ctx, clientID)
	if err == nil && visible {
		r.data.visibleClients.Store(key, true)
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
