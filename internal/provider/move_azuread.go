package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Moves from the azuread provider (Terraform 1.8 and later: a `moved` block whose `from` is an
// azuread resource). The target state is built from azuread's state alone — MoveResourceState calls
// come before the provider may be configured, so no Graph call is made here. azuread records the
// application by object ID only, so the moved state names the agent by agent_object_id; the refresh
// that follows the move reads the application and fills in agent_client_id, the ID and the identity.
// Nothing is written to Graph, so a standard setup moves with an empty plan.

const (
	azureadProviderSuffix = "hashicorp/azuread"
	azureadPreAuthorized  = "azuread_application_pre_authorized"
	azureadPermissionScop = "azuread_application_permission_scope"
)

// azureadPreAuthorizedState is azuread v3's azuread_application_pre_authorized state (schema version 0).
type azureadPreAuthorizedState struct {
	ApplicationID      string   `json:"application_id"`
	AuthorizedClientID string   `json:"authorized_client_id"`
	ID                 string   `json:"id"`
	PermissionIDs      []string `json:"permission_ids"`
}

// azureadPermissionScopeState is azuread v3's azuread_application_permission_scope state (schema version 0).
type azureadPermissionScopeState struct {
	AdminConsentDescription string `json:"admin_consent_description"`
	AdminConsentDisplayName string `json:"admin_consent_display_name"`
	ApplicationID           string `json:"application_id"`
	ID                      string `json:"id"`
	ScopeID                 string `json:"scope_id"`
	Type                    string `json:"type"`
	UserConsentDescription  string `json:"user_consent_description"`
	UserConsentDisplayName  string `json:"user_consent_display_name"`
	Value                   string `json:"value"`
}

// isAzureADSource reports whether a move request comes from the given azuread resource type.
func isAzureADSource(req resource.MoveStateRequest, typeName string) bool {
	return req.SourceTypeName == typeName && strings.HasSuffix(strings.ToLower(req.SourceProviderAddress), azureadProviderSuffix)
}

// azureadState is (a pointer to) the state S of an azuread resource that moves: it names its application.
type azureadState[S any] interface {
	*S
	applicationID() string
}

func (s *azureadPreAuthorizedState) applicationID() string   { return s.ApplicationID }
func (s *azureadPermissionScopeState) applicationID() string { return s.ApplicationID }

// azureadMover moves the azuread resource typeName: it decodes its state (decodeAzureADState), finds the
// application's object ID (azureadObjectID), and move maps the state to the target's model.
func azureadMover[S any, PS azureadState[S], M any](typeName string, move func(resource.MoveStateRequest, PS, string, *diag.Diagnostics) (M, bool)) []resource.StateMover {
	return []resource.StateMover{{StateMover: func(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
		var src S
		if !isAzureADSource(req, typeName) || !decodeAzureADState(req, PS(&src), &resp.Diagnostics) {
			return
		}
		objectID, ok := azureadObjectID(PS(&src).applicationID(), &resp.Diagnostics, req.SourceTypeName)
		if !ok {
			return
		}
		if m, ok := move(req, PS(&src), objectID, &resp.Diagnostics); ok {
			resp.Diagnostics.Append(resp.TargetState.Set(ctx, &m)...)
		}
	}}}
}

// decodeAzureADState parses the source state JSON, checking azuread's schema version.
func decodeAzureADState(req resource.MoveStateRequest, into any, diags *diag.Diagnostics) bool {
	if req.SourceSchemaVersion != 0 {
		diags.AddError("Unsupported azuread state version",
			fmt.Sprintf("The %s state has schema version %d; this provider moves azuread v3 state (schema version 0). "+
				"Upgrade the azuread provider to v3 and run terraform apply once before moving.", req.SourceTypeName, req.SourceSchemaVersion))
		return false
	}
	if req.SourceRawState == nil || len(req.SourceRawState.JSON) == 0 {
		diags.AddError("Empty azuread state", fmt.Sprintf("Terraform passed no state for the %s being moved.", req.SourceTypeName))
		return false
	}
	if err := json.Unmarshal(req.SourceRawState.JSON, into); err != nil {
		diags.AddError("Unreadable azuread state", fmt.Sprintf("The %s state could not be read: %v.", req.SourceTypeName, err))
		return false
	}
	return true
}

// azureadObjectID returns the object ID of azuread's "/applications/<object ID>" application_id.
func azureadObjectID(applicationID string, diags *diag.Diagnostics, typeName string) (string, bool) {
	parts := strings.Split(strings.Trim(applicationID, "/"), "/")
	if len(parts) == 2 && strings.EqualFold(parts[0], "applications") && guidPattern.MatchString(parts[1]) {
		return strings.ToLower(parts[1]), true
	}
	if len(parts) == 1 && guidPattern.MatchString(parts[0]) {
		return strings.ToLower(parts[0]), true
	}
	diags.AddError("Unexpected azuread application_id",
		fmt.Sprintf("The %s state's application_id is %q; expected /applications/<object ID>.", typeName, applicationID))
	return "", false
}

// MoveState moves azuread_application_pre_authorized to lkps_preauthorized_client.
func (r *preauthorizedClientWithIdentity) MoveState(context.Context) []resource.StateMover {
	return azureadMover[azureadPreAuthorizedState](azureadPreAuthorized, moveAzureADPreAuthorized)
}

// moveAzureADPreAuthorized maps azuread's pre-authorization state to lkps_preauthorized_client's.
func moveAzureADPreAuthorized(req resource.MoveStateRequest, src *azureadPreAuthorizedState, objectID string, diags *diag.Diagnostics) (preauthorizedClientResourceModel, bool) {
	if !guidPattern.MatchString(src.AuthorizedClientID) {
		diags.AddError("Unexpected azuread authorized_client_id",
			fmt.Sprintf("The %s state's authorized_client_id is %q; expected a client ID.", req.SourceTypeName, src.AuthorizedClientID))
		return preauthorizedClientResourceModel{}, false
	}
	client := strings.ToLower(src.AuthorizedClientID)
	if len(src.PermissionIDs) != 1 || !guidPattern.MatchString(src.PermissionIDs[0]) {
		diags.AddError("Cannot move a pre-authorization of several permissions",
			fmt.Sprintf("The azuread pre-authorization %s gives client %s %d permission IDs (%s). lkps_preauthorized_client "+
				"manages exactly one, the agent's %s scope, so this move cannot be exact and was not made.\n\n"+
				"What to do instead: delete this moved block and\n"+
				"  1. replace the azuread resource with a removed block, so that Terraform forgets it without touching Graph:\n"+
				"       removed {\n         from = <the azuread_application_pre_authorized address>\n         lifecycle { destroy = false }\n       }\n"+
				"  2. import the access_as_client pre-authorization into lkps_preauthorized_client:\n"+
				"       import {\n         to = <the lkps_preauthorized_client address>\n         id = \"%s/%s\"\n       }\n"+
				"The other permission IDs of the client's entry stay in Graph untouched; lkps_preauthorized_client never removes them. "+
				"Keep managing them with azuread_application_pre_authorized if you need to (one resource per client holds all its IDs).",
				src.ID, client, len(src.PermissionIDs), strings.Join(src.PermissionIDs, ", "), environments.ClientScopeValue, objectID, client))
		return preauthorizedClientResourceModel{}, false
	}
	return preauthorizedClientResourceModel{
		ID:             types.StringNull(), // set by the refresh, which knows the agent's client ID
		agentReference: agentReference{AgentClientID: nullGUID(), AgentObjectID: guidOf(objectID)},
		ClientID:       guidOf(client),
		ScopeID:        guidOf(strings.ToLower(src.PermissionIDs[0])),
		Timeouts:       nullTimeouts("create", "read", "delete"),
	}, true
}

// MoveState moves azuread_application_permission_scope (value access_as_client) to lkps_agent_client_scope.
func (r *agentClientScopeWithIdentity) MoveState(context.Context) []resource.StateMover {
	return azureadMover[azureadPermissionScopeState](azureadPermissionScop, moveAzureADPermissionScope)
}

// moveAzureADPermissionScope maps azuread's permission scope state to lkps_agent_client_scope's. The
// identifier URI is left to the refresh (which records the application's api://<client ID>, or its
// first URI) with identifier_uri_added = false: the URI was azuread's, and this resource never removes
// a URI it did not add.
func moveAzureADPermissionScope(req resource.MoveStateRequest, src *azureadPermissionScopeState, objectID string, diags *diag.Diagnostics) (agentClientScopeResourceModel, bool) {
	if src.Value != environments.ClientScopeValue {
		diags.AddError("Only the access_as_client scope can move",
			fmt.Sprintf("The azuread permission scope %s has value %q. lkps_agent_client_scope manages only the %q scope that LKPS "+
				"checks; keep managing this scope with azuread_application_permission_scope and remove this moved block.",
				src.ID, src.Value, environments.ClientScopeValue))
		return agentClientScopeResourceModel{}, false
	}
	if !guidPattern.MatchString(src.ScopeID) {
		diags.AddError("Unexpected azuread scope_id", fmt.Sprintf("The %s state's scope_id is %q; expected a GUID.", req.SourceTypeName, src.ScopeID))
		return agentClientScopeResourceModel{}, false
	}
	typ := src.Type
	if typ == "" {
		typ = "User"
	}
	return agentClientScopeResourceModel{
		ID:                      types.StringNull(),
		agentReference:          agentReference{AgentClientID: nullGUID(), AgentObjectID: guidOf(objectID)},
		IdentifierURI:           types.StringNull(),
		IdentifierURIAdded:      types.BoolValue(false),
		ScopeID:                 guidOf(strings.ToLower(src.ScopeID)),
		Value:                   types.StringValue(src.Value),
		Type:                    types.StringValue(typ),
		AdminConsentDisplayName: types.StringValue(src.AdminConsentDisplayName),
		AdminConsentDescription: types.StringValue(src.AdminConsentDescription),
		UserConsentDisplayName:  optionalString(src.UserConsentDisplayName),
		UserConsentDescription:  optionalString(src.UserConsentDescription),
		// azuread v3's permission scope resource has no enabled attribute and creates scopes enabled; the
		// refresh records what Graph holds.
		Enabled:  types.BoolValue(true),
		Timeouts: nullTimeouts("create", "read", "update", "delete"),
	}, true
}
