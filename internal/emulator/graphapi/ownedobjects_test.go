package graphapi_test

import (
	"net/http"
	"testing"
)

// The applications an identity owns: servicePrincipals/{id}/ownedObjects for app-only callers, /me for
// users; reading takes what reading applications takes.
func TestOwnedObjectsApplications(t *testing.T) {
	f := newFixture(t)
	ids := func(r response) []string {
		var out []string
		for _, v := range arr(t, r.JSON(t)["value"]) {
			app := obj(t, v)
			if str(t, app, "@odata.type") != "#microsoft.graph.application" {
				t.Errorf("entry without its type cast: %v", app)
			}
			out = append(out, str(t, app, "id"))
		}
		return out
	}
	owned := "/v1.0/servicePrincipals/" + ownedByOwnerOID + "/ownedObjects/microsoft.graph.application?$select=id,appId,api"
	r := f.do(http.MethodGet, owned, "ownedby-owner", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if got := ids(r); len(got) != 1 || got[0] != f.agent.Application.ID {
		t.Errorf("owned applications = %v, want [%s]", got, f.agent.Application.ID)
	}
	// A reader may list another principal's owned objects; someone with no reading role may not.
	if r := f.do(http.MethodGet, "/v1.0/servicePrincipals/"+strangerID+"/ownedObjects/microsoft.graph.application", "reader", nil); r.Status != http.StatusOK || len(ids(r)) != 0 {
		t.Errorf("a reader listing a stranger's owned applications: %d %s", r.Status, r.Body)
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/servicePrincipals/"+ownerOID+"/ownedObjects/microsoft.graph.application", "owner", nil),
		http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

	// /me: users only.
	if r := f.do(http.MethodGet, "/v1.0/me/ownedObjects/microsoft.graph.application", "user-owner", nil); r.Status != http.StatusOK {
		t.Errorf("a user listing their owned applications: %d %s", r.Status, r.Body)
	} else if got := ids(r); len(got) != 1 || got[0] != f.agent.Application.ID {
		t.Errorf("the user's owned applications = %v", got)
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/me/ownedObjects/microsoft.graph.application", "admin", nil),
		http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
}
