package graphapi_test

import (
	"net/http"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

func TestSoftDeleteRestorePurge(t *testing.T) {
	f := newFixture(t)
	id := f.agent.Application.ID
	uri := "api://" + tenantID + "/agent"
	f.patchOK("admin", map[string]any{"identifierUris": []string{uri}})
	if r := f.do(http.MethodDelete, f.agentPath(), "admin", nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", r.Status, r.Body)
	}
	expectError(t, f.do(http.MethodGet, f.agentPath(), "admin", nil), http.StatusNotFound, graphapi.CodeNotFound, "")

	// Listed and readable in the deleted items, with deletedDateTime set.
	r := f.do(http.MethodGet, "/v1.0/directory/deletedItems/microsoft.graph.application", "reader", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list = %d %s", r.Status, r.Body)
	}
	items, _ := r.JSON(t)["value"].([]any)
	var first map[string]any
	if len(items) == 1 {
		first, _ = items[0].(map[string]any)
	}
	if len(items) != 1 || first["id"] != id || first["deletedDateTime"] == nil {
		t.Fatalf("deleted items: %s", r.Body)
	}
	r = f.do(http.MethodGet, "/v1.0/directory/deletedItems/"+id, "reader", nil)
	if m := r.JSON(t); r.Status != http.StatusOK || m["@odata.type"] != "#microsoft.graph.application" || m["id"] != id {
		t.Fatalf("get deleted = %d %s", r.Status, r.Body)
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/directory/deletedItems/"+id, "stranger", nil), http.StatusForbidden, graphapi.CodeAccessDenied, graphapi.MsgAccessDenied)
	expectError(t, f.do(http.MethodGet, "/v1.0/directory/deletedItems/"+directory.NewGUID(), "reader", nil), http.StatusNotFound, graphapi.CodeNotFound, "")

	// Its identifier URI stays reserved: another application cannot take it.
	expectError(t, f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"displayName": "again", "identifierUris": []string{uri}}),
		http.StatusBadRequest, graphapi.CodeRequestBadRequest, graphapi.MsgIdentifierURIExists)

	// Restoring needs write permission (an OwnedBy caller that did not own it is refused).
	expectError(t, f.do(http.MethodPost, "/v1.0/directory/deletedItems/"+id+"/restore", "reader", nil), http.StatusForbidden, graphapi.CodeAccessDenied, "")
	expectError(t, f.do(http.MethodPost, "/v1.0/directory/deletedItems/"+id+"/restore", "ownedby", nil), http.StatusForbidden, graphapi.CodeAccessDenied, "")
	r = f.do(http.MethodPost, "/v1.0/directory/deletedItems/"+id+"/restore", "ownedby-owner", nil)
	if m := r.JSON(t); r.Status != http.StatusOK || m["id"] != id || m["deletedDateTime"] != nil {
		t.Fatalf("restore = %d %s", r.Status, r.Body)
	}
	app := f.read()
	if len(app.IdentifierURIs) != 1 || app.IdentifierURIs[0] != uri || app.AppID != f.agent.Application.AppID {
		t.Fatalf("restored application: %+v", app)
	}
	rec, err := f.dir.Get(id, directory.Primary)
	if err != nil || len(rec.Owners) != 3 {
		t.Fatalf("restored owners: %v %v", rec, err)
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/directory/deletedItems/"+id, "reader", nil), http.StatusNotFound, graphapi.CodeNotFound, "")

	// Permanent delete frees the identifier URI.
	if r := f.do(http.MethodDelete, f.agentPath(), "admin", nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", r.Status, r.Body)
	}
	expectError(t, f.do(http.MethodDelete, "/v1.0/directory/deletedItems/"+id, "reader", nil), http.StatusForbidden, graphapi.CodeAccessDenied, "")
	if r := f.do(http.MethodDelete, "/v1.0/directory/deletedItems/"+id, "admin", nil); r.Status != http.StatusNoContent {
		t.Fatalf("purge = %d %s", r.Status, r.Body)
	}
	expectError(t, f.do(http.MethodPost, "/v1.0/directory/deletedItems/"+id+"/restore", "admin", nil), http.StatusNotFound, graphapi.CodeNotFound, "")
	if r := f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"displayName": "again", "identifierUris": []string{uri}}); r.Status != http.StatusCreated {
		t.Fatalf("re-create after purge = %d %s", r.Status, r.Body)
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/directory/deletedItems/not-a-guid", "reader", nil), http.StatusBadRequest, graphapi.CodeRequestBadRequest, "")
}

func TestDeletedItemsExpireAfterThirtyDays(t *testing.T) {
	f := newFixture(t)
	if r := f.do(http.MethodDelete, f.agentPath(), "admin", nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", r.Status, r.Body)
	}
	f.clock.Advance(directory.DeletedRetention - 1)
	if r := f.do(http.MethodGet, "/v1.0/directory/deletedItems/"+f.agent.Application.ID, "reader", nil); r.Status != http.StatusOK {
		t.Fatalf("before 30 days: %d %s", r.Status, r.Body)
	}
	f.clock.Advance(2)
	expectError(t, f.do(http.MethodGet, "/v1.0/directory/deletedItems/"+f.agent.Application.ID, "reader", nil), http.StatusNotFound, graphapi.CodeNotFound, "")
}
