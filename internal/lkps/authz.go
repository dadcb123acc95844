package lkps

import (
	"fmt"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Names of the failed checks of the session-start decision, as LKPS reports them in "failed_check".
const (
	// CheckScopeMissing: the agent exposes no "access_as_client" scope (or the agent application is gone).
	CheckScopeMissing = "scope_missing"
	// CheckClientNotPreauthorized: the client ID is not in the agent's preAuthorizedApplications.
	CheckClientNotPreauthorized = "client_not_preauthorized"
	// CheckScopeNotGranted: the client's entry lacks the id of the "access_as_client" scope.
	CheckScopeNotGranted = "scope_not_granted"
)

// Scope is one entry of the agent application's api.oauth2PermissionScopes.
type Scope struct {
	// ID is the scope's id (a GUID).
	ID string
	// Value is the scope's value, e.g. "access_as_client".
	Value string
	// Enabled is isEnabled; the decision ignores it, because the guides do not say LKPS reads it.
	Enabled bool
}

// PreAuthorized is one entry of the agent application's api.preAuthorizedApplications.
type PreAuthorized struct {
	// AppID is the pre-authorized client application's client ID.
	AppID string
	// PermissionIDs are the entry's delegatedPermissionIds (scope ids).
	PermissionIDs []string
}

// DecisionInput is everything the session-start decision reads: the registration's enforcement flag,
// the caller's client ID (Ocelot's client-id header) and the agent application's api block from Graph.
type DecisionInput struct {
	// EnforceClientAuthz is the agent registration's enforce_client_authz flag.
	EnforceClientAuthz bool
	// ClientID is the calling client application's client ID.
	ClientID string
	// AgentExists is false when Graph has no application with the agent's client ID.
	AgentExists bool
	// Scopes is the agent application's api.oauth2PermissionScopes.
	Scopes []Scope
	// PreAuthorized is the agent application's api.preAuthorizedApplications.
	PreAuthorized []PreAuthorized
}

// Decision is the outcome of the session-start decision.
type Decision struct {
	// Authorized is true when LKPS would start the session.
	Authorized bool
	// FailedCheck is "" when authorized, else CheckScopeMissing, CheckClientNotPreauthorized or
	// CheckScopeNotGranted.
	FailedCheck string
	// Reason explains the outcome in one or two sentences and says what to do.
	Reason string
	// ScopeID is the id of the agent's "access_as_client" scope, when the decision read it.
	ScopeID string
}

// Evaluate makes the decision LKPS makes at POST /api/session/start for a registered agent (DESIGN.md,
// "The session-start decision"; guide "How Client-to-Agent Authorization Works"):
//
//   - enforcement off: authorized, without reading the application;
//   - check 1: some scope has value exactly "access_as_client" (isEnabled is not consulted; a missing
//     agent application fails this check), else scope_missing;
//   - check 2: some pre-authorized entry has appId equal to the client ID (case-insensitive), else
//     client_not_preauthorized;
//   - check 3: an entry of the client lists the scope's id (case-insensitive), else scope_not_granted.
//     Graph accepts two entries with the same appId; LKPS's guide speaks of "the client entry", and an
//     entry that grants the scope is what an agent owner meant, so any of them counts (as in the emulator).
//
// It is pure: no I/O, no clock.
func Evaluate(in DecisionInput) Decision {
	if !in.EnforceClientAuthz {
		return Decision{Authorized: true, Reason: reasonEnforcementOff}
	}
	if !in.AgentExists {
		return Decision{FailedCheck: CheckScopeMissing, Reason: reasonAgentMissing}
	}

	scopeIndex := -1
	for i, s := range in.Scopes {
		if s.Value == environments.ClientScopeValue {
			scopeIndex = i
			break
		}
	}
	if scopeIndex < 0 {
		return Decision{FailedCheck: CheckScopeMissing, Reason: reasonScopeMissing}
	}
	scopeID := in.Scopes[scopeIndex].ID

	listed := false
	for _, p := range in.PreAuthorized {
		if !strings.EqualFold(p.AppID, in.ClientID) {
			continue
		}
		listed = true
		for _, id := range p.PermissionIDs {
			if strings.EqualFold(id, scopeID) {
				return Decision{Authorized: true, Reason: reasonAuthorized(in.ClientID, scopeID), ScopeID: scopeID}
			}
		}
	}
	if !listed {
		return Decision{FailedCheck: CheckClientNotPreauthorized, Reason: reasonClientNotPreauthorized(in.ClientID), ScopeID: scopeID}
	}
	return Decision{FailedCheck: CheckScopeNotGranted, Reason: reasonScopeNotGranted(in.ClientID, scopeID), ScopeID: scopeID}
}

// EverySessionRefused returns why LKPS, with enforcement on, would refuse every client of the agent
// described by in (ClientID and EnforceClientAuthz are ignored), or "" when at least one pre-authorized
// client would be let through. It applies Evaluate itself, so it cannot disagree with the decision for one
// client (seed FAQ: "What happens if an agent does not expose the access_as_client scope?").
func EverySessionRefused(in DecisionInput) string {
	in.EnforceClientAuthz = true
	in.ClientID = ""
	d := Evaluate(in)
	if d.FailedCheck == CheckScopeMissing {
		return d.Reason
	}
	for _, p := range in.PreAuthorized {
		in.ClientID = p.AppID
		if Evaluate(in).Authorized {
			return ""
		}
	}
	return fmt.Sprintf("no client application is pre-authorized for the agent's %s scope (%s), so every client fails the "+
		"check of preAuthorizedApplications.", environments.ClientScopeValue, d.ScopeID)
}
