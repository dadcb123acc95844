package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// State JSON exactly as azuread v3.9.0 writes it (schema version 0 for both types).
const (
	azureadPreAuthorizedJSON = `{"application_id":"/applications/5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a",` +
		`"authorized_client_id":"C0FFEE00-1111-4222-8333-444455556666",` +
		`"id":"5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a/preAuthorizedApplication/C0FFEE00-1111-4222-8333-444455556666",` +
		`"permission_ids":["7b2c9e4f-0a1d-4c3b-9e8f-112233445566"],"timeouts":null}`
	azureadPreAuthorizedTwoJSON = `{"application_id":"/applications/5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a",` +
		`"authorized_client_id":"c0ffee00-1111-4222-8333-444455556666",` +
		`"id":"5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a/preAuthorizedApplication/c0ffee00-1111-4222-8333-444455556666",` +
		`"permission_ids":["7b2c9e4f-0a1d-4c3b-9e8f-112233445566","8c3d0f5a-1b2e-4d4c-af90-223344556677"],"timeouts":null}`
	azureadPermissionScopeJSON = `{"admin_consent_description":"Allow client applications to access the agent.",` +
		`"admin_consent_display_name":"Access the agent as a client","application_id":"/applications/5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a",` +
		`"id":"/applications/5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a/permissionScopes/7b2c9e4f-0a1d-4c3b-9e8f-112233445566",` +
		`"scope_id":"7b2c9e4f-0a1d-4c3b-9e8f-112233445566","timeouts":null,"type":"User",` +
		`"user_consent_description":"","user_consent_display_name":"","value":"access_as_client"}`
)

// moveThroughServer sends a MoveResourceState call to the provider as Terraform does and returns the
// target state's attributes (strings and bools) or the diagnostics.
func moveThroughServer(t *testing.T, sourceType, targetType, sourceJSON string, version int64) (map[string]tftypes.Value, []*tfprotov6.Diagnostic) {
	t.Helper()
	ctx := context.Background()
	server := providerserver.NewProtocol6(New("test", "test")())()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.MoveResourceState(ctx, &tfprotov6.MoveResourceStateRequest{
		SourceProviderAddress: "registry.terraform.io/hashicorp/azuread",
		SourceTypeName:        sourceType,
		SourceSchemaVersion:   version,
		SourceState:           &tfprotov6.RawState{JSON: []byte(sourceJSON)},
		TargetTypeName:        targetType,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) > 0 || resp.TargetState == nil {
		return nil, resp.Diagnostics
	}
	typ := schemas.ResourceSchemas[targetType].ValueType()
	v, err := resp.TargetState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]tftypes.Value{}
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	return attrs, nil
}

func str(t *testing.T, v tftypes.Value) string {
	t.Helper()
	if v.IsNull() {
		return "<null>"
	}
	var s string
	if err := v.As(&s); err != nil {
		var b bool
		if err2 := v.As(&b); err2 == nil {
			if b {
				return "true"
			}
			return "false"
		}
		t.Fatal(err)
	}
	return s
}

// expectMoved moves sourceJSON of sourceType to targetType through the provider server and checks the
// target state's attributes against want (str's rendering).
func expectMoved(t *testing.T, sourceType, targetType, sourceJSON string, want map[string]string) {
	t.Helper()
	got, diags := moveThroughServer(t, sourceType, targetType, sourceJSON, 0)
	if diags != nil {
		t.Fatalf("diagnostics: %v", diags[0].Detail)
	}
	for k, w := range want {
		if g := str(t, got[k]); g != w {
			t.Errorf("%s = %q, want %q", k, g, w)
		}
	}
}

func TestMoveState_azureadPreAuthorized(t *testing.T) {
	expectMoved(t, "azuread_application_pre_authorized", "lkps_preauthorized_client", azureadPreAuthorizedJSON, map[string]string{
		"agent_object_id": "5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a",
		"agent_client_id": "<null>", // filled in by the refresh after the move
		"client_id":       "c0ffee00-1111-4222-8333-444455556666",
		"scope_id":        "7b2c9e4f-0a1d-4c3b-9e8f-112233445566",
		"id":              "<null>",
	})
}

func TestMoveState_azureadPreAuthorizedSeveralPermissionsFails(t *testing.T) {
	_, diags := moveThroughServer(t, "azuread_application_pre_authorized", "lkps_preauthorized_client", azureadPreAuthorizedTwoJSON, 0)
	if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError {
		t.Fatalf("want one error, got %v", diags)
	}
	for _, part := range []string{"2 permission IDs", "removed {", "destroy = false", "import {",
		`id = "5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a/c0ffee00-1111-4222-8333-444455556666"`, "untouched"} {
		if !strings.Contains(diags[0].Detail, part) {
			t.Errorf("the error does not say %q:\n%s", part, diags[0].Detail)
		}
	}
}

func TestMoveState_azureadPermissionScope(t *testing.T) {
	expectMoved(t, "azuread_application_permission_scope", "lkps_agent_client_scope", azureadPermissionScopeJSON, map[string]string{
		"agent_object_id":            "5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a",
		"scope_id":                   "7b2c9e4f-0a1d-4c3b-9e8f-112233445566",
		"value":                      "access_as_client",
		"type":                       "User",
		"admin_consent_display_name": "Access the agent as a client",
		"admin_consent_description":  "Allow client applications to access the agent.",
		"user_consent_display_name":  "<null>",
		"user_consent_description":   "<null>",
		"identifier_uri":             "<null>",
		"identifier_uri_added":       "false",
		"enabled":                    "true",
	})
}

func TestMoveState_azureadOtherScopeAndVersionsRefused(t *testing.T) {
	other := strings.ReplaceAll(azureadPermissionScopeJSON, `"value":"access_as_client"`, `"value":"user_impersonation"`)
	_, diags := moveThroughServer(t, "azuread_application_permission_scope", "lkps_agent_client_scope", other, 0)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, `"user_impersonation"`) || !strings.Contains(diags[0].Detail, "keep managing this scope") {
		t.Fatalf("want an error naming the value and what to do, got %v", diags)
	}
	_, diags = moveThroughServer(t, "azuread_application_pre_authorized", "lkps_preauthorized_client", azureadPreAuthorizedJSON, 1)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "schema version 1") {
		t.Fatalf("want an error about the schema version, got %v", diags)
	}
	// Another source type is not handled: the framework reports that no mover matched.
	_, diags = moveThroughServer(t, "azuread_application", "lkps_preauthorized_client", azureadPreAuthorizedJSON, 0)
	if len(diags) == 0 {
		t.Fatal("a move from azuread_application was accepted")
	}
}

func TestAzureADImportIDs(t *testing.T) {
	if o, s, ok := parseAzureADScopeID("/applications/5A1E0C3D-9b7f-4e2a-8c6d-0f1e2d3c4b5a/permissionScopes/7b2c9e4f-0a1d-4c3b-9e8f-112233445566"); !ok ||
		o != "5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a" || s != "7b2c9e4f-0a1d-4c3b-9e8f-112233445566" {
		t.Errorf("scope ID: %q %q %v", o, s, ok)
	}
	for _, id := range []string{
		"5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a/preAuthorizedApplication/c0ffee00-1111-4222-8333-444455556666",
		"/applications/5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a/preAuthorizedApplication/C0FFEE00-1111-4222-8333-444455556666",
	} {
		if o, c, ok := parseAzureADPreAuthorizedID(id); !ok || o != "5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a" || c != "c0ffee00-1111-4222-8333-444455556666" {
			t.Errorf("%s: %q %q %v", id, o, c, ok)
		}
	}
	for _, bad := range []string{"", "5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a/c0ffee00-1111-4222-8333-444455556666",
		"/applications/x/preAuthorizedApplication/y", "/applications/5a1e0c3d-9b7f-4e2a-8c6d-0f1e2d3c4b5a/appRoles/7b2c9e4f-0a1d-4c3b-9e8f-112233445566"} {
		if _, _, ok := parseAzureADPreAuthorizedID(bad); ok {
			t.Errorf("%q parsed as a pre-authorization ID", bad)
		}
		if _, _, ok := parseAzureADScopeID(bad); ok {
			t.Errorf("%q parsed as a scope ID", bad)
		}
	}
}
