package graphapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// directoryExtrasOperation resolves the deleted items of the directory and the tenant's default app
// management policy (segs: the v1.0 path's segments):
//
//	GET    /v1.0/directory/deletedItems/microsoft.graph.application   list deleted applications
//	GET    /v1.0/directory/deletedItems/{id}                          get a deleted application
//	POST   /v1.0/directory/deletedItems/{id}/restore                  restore it
//	DELETE /v1.0/directory/deletedItems/{id}                          delete it permanently
//	GET    /v1.0/policies/defaultAppManagementPolicy
//	PATCH  /v1.0/policies/defaultAppManagementPolicy
//
// (Microsoft Learn: "List deleted items", "Get deleted item", "Restore deleted item", "Permanently
// delete an item", "Get tenantAppManagementPolicy", "Update tenantAppManagementPolicy".) It reports false
// when the path is none of these.
func (a *API) directoryExtrasOperation(method string, segs []string) (operation, bool) {
	write := method != http.MethodGet
	if len(segs) == 2 && strings.EqualFold(segs[0], "policies") && strings.EqualFold(segs[1], "defaultAppManagementPolicy") {
		switch method {
		case http.MethodGet:
			return operation{route: RouteGetAppPolicy, run: func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError { return a.getPolicy(w, c) }}, true
		case http.MethodPatch:
			return operation{route: RoutePatchAppPolicy, write: true, run: a.patchPolicy}, true
		}
		return operation{route: RouteUnknown, write: write, err: methodNotAllowed(method)}, true
	}
	if len(segs) < 3 || len(segs) > 4 || !strings.EqualFold(segs[0], "directory") || !strings.EqualFold(segs[1], "deletedItems") {
		return operation{}, false
	}
	id := segs[2]
	// The type cast in its full form, or with Graph's namespace alias as msgraph-sdk-go sends it.
	if len(segs) == 3 && (strings.EqualFold(id, "microsoft.graph.application") || strings.EqualFold(id, "graph.application")) {
		if method != http.MethodGet {
			return operation{route: RouteUnknown, write: write, err: methodNotAllowed(method)}, true
		}
		return operation{route: RouteListDeletedApplications, run: a.listDeleted}, true
	}
	var op operation
	switch {
	case len(segs) == 3 && method == http.MethodGet:
		op = operation{route: RouteGetDeletedItem, run: func(w http.ResponseWriter, r *http.Request, c Caller) *graphError { return a.getDeleted(w, r, c, id) }}
	case len(segs) == 3 && method == http.MethodDelete:
		op = operation{route: RoutePurgeDeletedItem, write: true, run: func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError { return a.purgeDeleted(w, c, id) }}
	case len(segs) == 4 && strings.EqualFold(segs[3], "restore") && method == http.MethodPost:
		op = operation{route: RouteRestoreDeletedItem, write: true, run: func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError { return a.restoreDeleted(w, c, id) }}
	case len(segs) == 4 && !strings.EqualFold(segs[3], "restore"):
		return operation{}, false
	default:
		return operation{route: RouteUnknown, write: write, err: methodNotAllowed(method)}, true
	}
	if !directory.IsGUID(id) {
		op.err = newError(http.StatusBadRequest, CodeRequestBadRequest, "Invalid object identifier '"+id+"'.")
	}
	return op, true
}

// deletedJSON is a deleted application as Graph answers a directoryObject: with its "@odata.type".
func deletedJSON(app *directory.Application, sel []string) ([]byte, *graphError) {
	raw, gerr := projection(app, sel)
	if gerr != nil {
		return nil, gerr
	}
	return append([]byte(`{"@odata.type":"#microsoft.graph.application",`), raw[1:]...), nil
}

// listDeleted answers the deleted applications. Reading them takes what reading applications takes
// (Microsoft Learn, "List deleted items": Application.Read.All for applications).
func (a *API) listDeleted(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
	if !canRead(c) {
		return accessDenied()
	}
	sel, gerr := parseSelect(r.URL.Query())
	if gerr != nil {
		return gerr
	}
	var buf bytes.Buffer
	ctx, _ := json.Marshal(a.cfg.BaseURL() + "/v1.0/$metadata#directoryObjects/microsoft.graph.application" + selectSuffix(sel))
	buf.WriteString(`{"@odata.context":`)
	buf.Write(ctx)
	buf.WriteString(`,"value":[`)
	for i, rec := range a.cfg.Directory.DeletedApplications() {
		raw, gerr := projection(&rec.Application, sel)
		if gerr != nil {
			return gerr
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(raw)
	}
	buf.WriteString("]}")
	writeJSON(w, http.StatusOK, buf.Bytes())
	return nil
}

func (a *API) getDeleted(w http.ResponseWriter, r *http.Request, c Caller, id string) *graphError {
	if !canRead(c) {
		return accessDenied()
	}
	sel, gerr := parseSelect(r.URL.Query())
	if gerr != nil {
		return gerr
	}
	rec, err := a.cfg.Directory.DeletedApplication(id)
	if err != nil {
		return notFound(directory.Ref{ObjectID: id})
	}
	return a.writeDeleted(w, rec, sel)
}

// mayChangeDeleted applies the permissions of "Restore deleted item" and "Permanently delete an item" for
// applications: Application.ReadWrite.OwnedBy on an application the caller owned, or
// Application.ReadWrite.All; a signed-in owner or application administrator.
func (a *API) mayChangeDeleted(c Caller, id string) *graphError {
	rec, err := a.cfg.Directory.DeletedApplication(id)
	if err != nil {
		return notFound(directory.Ref{ObjectID: id})
	}
	if !canWrite(c, rec.IsOwner(c.ObjectID)) {
		return accessDenied()
	}
	return nil
}

// restoreDeleted answers 200 with the restored application (Microsoft Learn, "Restore deleted item").
func (a *API) restoreDeleted(w http.ResponseWriter, c Caller, id string) *graphError {
	if gerr := a.mayChangeDeleted(c, id); gerr != nil {
		return gerr
	}
	rec, err := a.cfg.Directory.RestoreDeleted(id)
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return notFound(directory.Ref{ObjectID: id})
	case errors.Is(err, directory.ErrIdentifierURIConflict):
		return newError(http.StatusBadRequest, CodeRequestBadRequest, MsgIdentifierURIExists)
	case errors.Is(err, directory.ErrRestoreConflict):
		return newError(http.StatusBadRequest, CodeRequestBadRequest, "Another object with the same value for property appId already exists.")
	case err != nil:
		return internal(err)
	}
	return a.writeDeleted(w, rec, nil)
}

// purgeDeleted answers 204 (Microsoft Learn, "Permanently delete an item").
func (a *API) purgeDeleted(w http.ResponseWriter, c Caller, id string) *graphError {
	if gerr := a.mayChangeDeleted(c, id); gerr != nil {
		return gerr
	}
	if err := a.cfg.Directory.PurgeDeleted(id); err != nil {
		return notFound(directory.Ref{ObjectID: id})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeDeleted answers 200 with a deleted (or just restored) application as a directory object, with the
// properties sel selects (nil: all).
func (a *API) writeDeleted(w http.ResponseWriter, rec *directory.Record, sel []string) *graphError {
	raw, gerr := deletedJSON(&rec.Application, sel)
	if gerr != nil {
		return gerr
	}
	writeEntity(w, a.cfg.BaseURL()+"/v1.0/$metadata#directoryObjects/$entity", raw)
	return nil
}
