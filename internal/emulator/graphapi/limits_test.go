package graphapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// Bad input gets Graph's answer and nothing is stored.
func TestLimitsAndBadInput(t *testing.T) {
	f := newFixture(t)
	before := f.read()
	invalid := func(property, resource string) string {
		return "Invalid value specified for property '" + property + "' of resource '" + resource + "'."
	}
	for _, tc := range []struct {
		name    string
		body    any
		code    string
		message string
	}{
		{"scope value over 120 characters", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, strings.Repeat("a", 121), true)}}}, graphapi.CodeRequestBadRequest, invalid("value", "PermissionScope")},
		{"scope value with a space", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access as client", true)}}}, graphapi.CodeRequestBadRequest, invalid("value", "PermissionScope")},
		{"scope value starting with a dot", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, ".hidden", true)}}}, graphapi.CodeRequestBadRequest, invalid("value", "PermissionScope")},
		{"scope type", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{map[string]any{"id": scopeID, "value": "x", "type": "Everyone", "isEnabled": true}}}}, graphapi.CodeRequestBadRequest, invalid("type", "PermissionScope")},
		{"displayName over 256 characters", map[string]any{"displayName": strings.Repeat("n", 257)}, graphapi.CodeRequestBadRequest, invalid("displayName", "Application")},
		{"description over 1024 characters", map[string]any{"description": strings.Repeat("d", 1025)}, graphapi.CodeRequestBadRequest, invalid("description", "Application")},
		{"unknown property", map[string]any{"noSuchProperty": true}, graphapi.CodeRequestBadRequest, "Property 'noSuchProperty' does not exist as a declared property or extension property."},
		{"wrong type", map[string]any{"identifierUris": "api://x"}, graphapi.CodeBadRequest, ""},
		{"malformed JSON", "{\"displayName\":", graphapi.CodeBadRequest, "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."},
		{"unknown scope id pre-authorized", map[string]any{"api": map[string]any{"preAuthorizedApplications": []any{map[string]any{"appId": clientApp, "delegatedPermissionIds": []string{scopeID}}}}}, graphapi.CodeRequestBadRequest, graphapi.MsgUnknownPermissionID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", tc.body), http.StatusBadRequest, tc.code, tc.message)
		})
	}
	after := f.read()
	if len(after.API.OAuth2PermissionScopes) != len(before.API.OAuth2PermissionScopes) || *after.DisplayName != *before.DisplayName || after.Description != before.Description {
		t.Fatalf("a refused PATCH changed the application: %+v", after)
	}
	// The limits themselves are accepted.
	f.patchOK("admin", map[string]any{"displayName": strings.Repeat("n", 256), "description": strings.Repeat("d", 1024),
		"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, strings.Repeat("a", 119)+"~", true)}}})
}
