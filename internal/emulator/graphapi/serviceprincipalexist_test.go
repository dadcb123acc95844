package graphapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// ("user" is a signed-in member user: it reads service principals and directory objects.)
// A service principal that was never created, or was deleted, does not exist for Graph: 404 by appId
// and by id, absent from lists, not a directory object, not an owner to bind; it exists once
// POST /servicePrincipals creates it, and again not after DELETE.
func TestServicePrincipalExistsOnlyOnceCreated(t *testing.T) {
	f := newFixture(t)
	r := f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"displayName": "no service principal yet"})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST applications = %d %s", r.Status, r.Body)
	}
	appID, objectID := str(t, r.JSON(t), "appId"), str(t, r.JSON(t), "id")
	rec, err := f.dir.Get(objectID, directory.Primary)
	if err != nil {
		t.Fatal(err)
	}
	spID := rec.ServicePrincipalID
	byAppID := "/v1.0/servicePrincipals(appId='" + appID + "')"
	absent := func(when string) {
		t.Helper()
		for _, p := range []string{byAppID, "/v1.0/servicePrincipals/" + spID, "/v1.0/directoryObjects/" + spID, byAppID + "/owners", "/beta/servicePrincipals/" + spID} {
			if r := f.do(http.MethodGet, p, "user", nil); r.Status != http.StatusNotFound {
				t.Fatalf("%s: GET %s = %d %s, want 404", when, p, r.Status, r.Body)
			}
		}
		if got := appIDs(t, f.do(http.MethodGet, "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+appID+"'"), "admin", nil)); len(got) != 0 {
			t.Fatalf("%s: listed %v", when, got)
		}
		bind := map[string]any{"displayName": "bound", "owners@odata.bind": []string{"https://graph.microsoft.com/v1.0/directoryObjects/" + spID}}
		expectError(t, f.do(http.MethodPost, "/v1.0/applications", "admin", bind), http.StatusNotFound, graphapi.CodeNotFound, "")
		expectError(t, f.do(http.MethodDelete, "/v1.0/servicePrincipals/"+spID, "admin", nil), http.StatusNotFound, graphapi.CodeNotFound, "")
	}
	absent("before POST servicePrincipals")
	if r := f.do(http.MethodPost, "/v1.0/servicePrincipals", "admin", map[string]any{"appId": appID}); r.Status != http.StatusCreated || str(t, r.JSON(t), "id") != spID {
		t.Fatalf("POST servicePrincipals = %d %s", r.Status, r.Body)
	}
	for _, p := range []string{byAppID, "/v1.0/servicePrincipals/" + spID, "/v1.0/directoryObjects/" + spID} {
		if r := f.do(http.MethodGet, p, "user", nil); r.Status != http.StatusOK {
			t.Fatalf("after POST: GET %s = %d %s", p, r.Status, r.Body)
		}
	}
	if r := f.do(http.MethodDelete, "/v1.0/servicePrincipals/"+spID, "admin", nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE servicePrincipals = %d %s", r.Status, r.Body)
	}
	absent("after DELETE servicePrincipals")
}

// GET /domains lists the verified domains, the first the default, and the tenant's initial
// <name>.onmicrosoft.com domain (isInitial, isVerified), which https identifier URIs may use.
func TestDomainsIncludeInitialDomain(t *testing.T) {
	f := newFixture(t)
	r := f.do(http.MethodGet, "/v1.0/domains", "user", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET domains = %d %s", r.Status, r.Body)
	}
	got := map[string]map[string]any{}
	for _, v := range arr(t, r.JSON(t)["value"]) {
		got[str(t, obj(t, v), "id")] = obj(t, v)
	}
	if d := got["bayer.com"]; len(got) != 2 || d["isDefault"] != true || d["isInitial"] != false {
		t.Fatalf("domains = %v", got)
	}
	if d := got["bayer.onmicrosoft.com"]; d["isInitial"] != true || d["isVerified"] != true || d["isDefault"] != false {
		t.Fatalf("initial domain = %v", d)
	}
	f.patchOK("admin", map[string]any{"identifierUris": []string{"https://bayer.onmicrosoft.com/agent"}})
	// A seed that names its initial domain among the verified ones keeps it, once.
	f.dir.SetVerifiedDomains([]string{"bayer.com", "contoso.onmicrosoft.com"})
	if ds := f.dir.VerifiedDomains(); len(ds) != 2 || f.dir.InitialDomain() != "contoso.onmicrosoft.com" {
		t.Fatalf("verified %v, initial %s", ds, f.dir.InitialDomain())
	}
}
