package graphapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// POST /servicePrincipals stores the properties azuread's service principal resource sends, and PATCH
// (by id and by appId, on v1.0 and /beta) changes them with Graph's permissions; bad bodies store nothing.
func TestServicePrincipalPropertiesAndPatch(t *testing.T) {
	f := newFixture(t)
	r := f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"displayName": "sp props", "identifierUris": []string{}})
	appID := str(t, r.JSON(t), "appId")
	spByAppID := "/v1.0/servicePrincipals(appId='" + appID + "')"
	expectError(t, f.do(http.MethodPatch, spByAppID, "admin", map[string]any{"notes": "n"}), http.StatusNotFound, graphapi.CodeNotFound, "")
	// azuread's create body (service_principal_resource.go): a temporary description, then a PATCH.
	create := map[string]any{
		"accountEnabled": true, "alternativeNames": []string{}, "appId": appID, "appRoleAssignmentRequired": true,
		"description": "TERRAFORM_UPDATE_1", "notes": "owned by team x", "notificationEmailAddresses": []string{"a@bayer.com"},
		"samlSingleSignOnSettings": nil, "tags": []string{"WindowsAzureActiveDirectoryIntegratedApp"},
	}
	r = f.do(http.MethodPost, "/v1.0/servicePrincipals", "admin", create)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST servicePrincipals = %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	spID := str(t, m, "id")
	if m["appRoleAssignmentRequired"] != true || m["notes"] != "owned by team x" || m["description"] != "TERRAFORM_UPDATE_1" ||
		m["accountEnabled"] != true || !slices.Equal(strs(t, m["tags"]), []string{"WindowsAzureActiveDirectoryIntegratedApp"}) {
		t.Fatalf("created = %s", r.Body)
	}
	byID := "/v1.0/servicePrincipals/" + spID
	if r := f.do(http.MethodPatch, byID, "admin", map[string]any{"description": "real", "notes": nil, "tags": []string{}}); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	m = f.do(http.MethodGet, byID, "admin", nil).JSON(t)
	if m["description"] != "real" || m["notes"] != nil || len(strs(t, m["tags"])) != 0 || m["appRoleAssignmentRequired"] != true ||
		!slices.Contains(strs(t, m["servicePrincipalNames"]), appID) || m["displayName"] != "sp props" || m["servicePrincipalType"] != "Application" {
		t.Fatalf("after PATCH = %v", m)
	}
	// By appId and on /beta; a read-only property may repeat its value.
	if r := f.do(http.MethodPatch, "/beta/servicePrincipals(appId='"+appID+"')", "admin", map[string]any{"accountEnabled": false, "appId": appID}); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH beta by appId = %d %s", r.Status, r.Body)
	}
	if m := f.do(http.MethodGet, spByAppID+"?$select=accountEnabled", "admin", nil).JSON(t); m["accountEnabled"] != false || len(m) != 3 {
		t.Fatalf("$select accountEnabled = %v", m)
	}
	// azuread reads samlMetadataUrl from /beta.
	if r := f.do(http.MethodGet, "/beta/servicePrincipals/"+spID+"?$select=samlMetadataUrl", "admin", nil); r.Status != http.StatusOK {
		t.Fatalf("beta $select=samlMetadataUrl = %d %s", r.Status, r.Body)
	} else if v, ok := r.JSON(t)["samlMetadataUrl"]; !ok || v != nil {
		t.Fatalf("samlMetadataUrl = %v", r.JSON(t))
	}
	// Bad bodies: unknown property, wrong types, a changed read-only property, malformed JSON.
	expectError(t, f.do(http.MethodPatch, byID, "admin", map[string]any{"notes": "x", "colour": "red"}), http.StatusBadRequest, graphapi.CodeRequestBadRequest,
		"Property 'colour' does not exist as a declared property or extension property.")
	expectError(t, f.do(http.MethodPatch, byID, "admin", map[string]any{"accountEnabled": "yes"}), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	expectError(t, f.do(http.MethodPatch, byID, "admin", map[string]any{"tags": nil}), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	expectError(t, f.do(http.MethodPatch, byID, "admin", map[string]any{"tags": []any{1}}), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	expectError(t, f.do(http.MethodPatch, byID, "admin", map[string]any{"notes": "x", "appId": clientApp}), http.StatusBadRequest, graphapi.CodeRequestBadRequest,
		"Property 'appId' is read-only and cannot be set.")
	expectError(t, f.do(http.MethodPatch, byID, "admin", `{"notes":`), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	expectError(t, f.do(http.MethodPost, "/v1.0/servicePrincipals", "admin", map[string]any{"appId": appID, "tags": "x"}), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	if m := f.do(http.MethodGet, byID, "admin", nil).JSON(t); m["notes"] != nil || m["appId"] != appID {
		t.Fatalf("a refused PATCH stored something: %v", m)
	}
	// DELETE forgets the properties: the service principal created again starts from Graph's defaults.
	if r := f.do(http.MethodDelete, byID, "admin", nil); r.Status != http.StatusNoContent {
		t.Fatal(r.Status)
	}
	expectError(t, f.do(http.MethodPatch, byID, "admin", map[string]any{"notes": "n"}), http.StatusNotFound, graphapi.CodeNotFound, "")
	f.do(http.MethodPost, "/v1.0/servicePrincipals", "admin", map[string]any{"appId": appID})
	if m := f.do(http.MethodGet, byID, "admin", nil).JSON(t); m["description"] != nil || m["appRoleAssignmentRequired"] != false || m["accountEnabled"] != true {
		t.Fatalf("re-created = %v", m)
	}
}

// Who may PATCH a service principal (serviceprincipal-update): Application.ReadWrite.All, or
// Application.ReadWrite.OwnedBy as an owner; owning without a role, reading roles and strangers are
// refused; delegated: an owner or an application administrator.
func TestServicePrincipalPatchPermissions(t *testing.T) {
	f := newFixture(t)
	sp := "/v1.0/servicePrincipals(appId='" + f.agent.Application.AppID + "')"
	body := map[string]any{"notes": "n"}
	for caller, want := range map[string]int{
		"admin": http.StatusNoContent, "ownedby-owner": http.StatusNoContent, "user-owner": http.StatusNoContent,
		"user-appadmin": http.StatusNoContent, "reader": http.StatusForbidden, "owner": http.StatusForbidden,
		"ownedby": http.StatusForbidden, "stranger": http.StatusForbidden, "user": http.StatusForbidden,
	} {
		r := f.do(http.MethodPatch, sp, caller, body)
		if r.Status != want {
			t.Errorf("%s: PATCH = %d, want %d: %s", caller, r.Status, want, r.Body)
		}
		if want == http.StatusForbidden {
			expectError(t, r, http.StatusForbidden, graphapi.CodeAccessDenied, graphapi.MsgAccessDenied)
		}
	}
	if f.counts.Get(graphapi.RoutePatchServicePrincipal) != 9 {
		t.Errorf("counts = %v", f.counts.Snapshot())
	}
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, e := range arr(t, v) {
		s, ok := e.(string)
		if !ok {
			t.Fatalf("%v is not a string", e)
		}
		out = append(out, s)
	}
	return out
}
