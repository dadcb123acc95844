package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// The checks lkps_agent_registration makes around a registration, in Microsoft Graph (does the agent
// still exist; would LKPS refuse every session) and in LKPS's answer (echoed fields that differ). The
// session-start rule itself is lkps.EverySessionRefused; this file only reads Graph and words diagnostics.

// agentApplicationGone reads the agent application with the provider's identity and reports whether
// Graph says it does not exist. When Graph cannot be read for lack of rights or credentials, it warns
// and reports false, so that the state is kept. The read is bounded by the state's read timeout.
func (r *agentRegistrationResource) agentApplicationGone(ctx context.Context, state agentRegistrationResourceModel, diags *diag.Diagnostics) bool {
	agentID := state.AgentClientID.ValueString()
	if r.data != nil && r.data.credentialErr != nil {
		diags.AddWarning("Agent Application Not Checked",
			fmt.Sprintf("The registration of agent %s is kept as it is: the provider has no usable identity to check in "+
				"Microsoft Graph whether the agent's app registration still exists (%s).", agentID, r.data.credentialErr))
		return false
	}
	ctx, cancel, client, ok := r.data.graphWithin(ctx, state.Timeouts.Read, registrationReadTimeout, diags)
	if !ok {
		return false
	}
	defer cancel()
	ref := model.ByAppID(agentID)
	_, err := client.GetApplication(ctx, ref)
	return r.data.reportAgentCheck(ctx, diags, agentID, ref, err)
}

// warnIfEverySessionRefused warns when enforcement is on and the agent, as Graph shows it now, exposes no
// access_as_client scope or pre-authorizes no client for it: LKPS would then refuse every session start
// (seed FAQ). It reports whether the check could be made. A failure to read Graph is not an error here;
// Read reports it.
func (r *agentRegistrationResource) warnIfEverySessionRefused(ctx context.Context, m agentRegistrationResourceModel, atPlan bool, diags *diag.Diagnostics) bool {
	if !isSet(m.EnforceClientAuthz) || !m.EnforceClientAuthz.ValueBool() || !isSet(m.AgentClientID) {
		return false
	}
	ctx, cancel, client, ok := r.data.graphForCheck(ctx, registrationCheckTimeout)
	defer cancel()
	if !ok {
		return false
	}
	agentID := m.AgentClientID.ValueString()
	app, exists, err := agentIfExists(ctx, client, agentID)
	if err != nil {
		tflog.Warn(ctx, "Could not read the agent application to check whether LKPS would refuse every session",
			map[string]any{"agent_client_id": agentID, "error": err.Error()})
		return false
	}
	problem := lkps.EverySessionRefused(decisionInput(app, exists, true, ""))
	if problem == "" {
		return true
	}
	seen := "Microsoft Graph shows that"
	if atPlan {
		seen = "at plan time, Microsoft Graph shows that"
	}
	diags.AddAttributeWarning(pathEnforceClientAuthz, "LKPS Would Refuse Every Session Start",
		fmt.Sprintf("Agent %s is registered with enforce_client_authz = true, but %s %s\n\nAs long as this holds, LKPS "+
			"answers every POST %s to this agent with 403 Forbidden (LKPS guide \"Client-to-Agent Authorization\", FAQ). "+
			"Expose the %s scope (lkps_agent_client_scope) and pre-authorize the clients (lkps_preauthorized_client), and "+
			"make this resource depend on them so that they exist before the agent is registered; or set "+
			"enforce_client_authz = false to let any client with Ocelot access start sessions (not recommended for "+
			"production agents).",
			agentID, seen, problem, lkps.PathSessionStart, environments.ClientScopeValue))
	return true
}

// warnRegistrationMismatches warns, per field, when LKPS echoed an undocumented field of its answer with
// another value than the registration was made with. Not an error: LKPS has stored the registration, and
// failing the apply would make every later apply fail the same way.
func warnRegistrationMismatches(diags *diag.Diagnostics, agentID string, reg lkps.Registration) {
	for _, m := range reg.Mismatches(agentID) {
		detail := fmt.Sprintf("LKPS registered agent %s, but its answer says %s = %s where the registration was made with %s. "+
			"Only livekit_url of the answer is documented, so the provider keeps the value it sent and continues. If LKPS "+
			"really recorded %s, report it to the Bayer LiveKit Platform Team.",
			agentID, m.Field, m.Echoed, m.Sent, m.Echoed)
		switch m.Field {
		case lkps.FieldEnforceClientAuthz:
			diags.AddAttributeWarning(pathEnforceClientAuthz, "LKPS Echoed Another enforce_client_authz", detail)
		case lkps.FieldAgentEntraAppID:
			diags.AddAttributeWarning(pathAgentClientID, "LKPS Echoed Another agent_entra_app_id", detail+
				" Check which application the Ocelot route injects as client-id.")
		default:
			diags.AddWarning("LKPS Echoed Another "+m.Field, detail)
		}
	}
}

// boolText renders a Bool for messages, "unknown" when null or unknown.
func boolText(b types.Bool) string {
	if !isSet(b) {
		return "unknown"
	}
	return fmt.Sprintf("%t", b.ValueBool())
}
