package graphapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
)

// Routes of the deleted items and the tenant's app management policy, counted by Config.Count.
const (
	RouteListDeletedApplications = "graph GET deletedItems applications"
	RouteGetDeletedItem          = "graph GET deletedItem"
	RouteRestoreDeletedItem      = "graph POST deletedItem restore"
	RoutePurgeDeletedItem        = "graph DELETE deletedItem"
	RouteGetAppPolicy            = "graph GET defaultAppManagementPolicy"
	RoutePatchAppPolicy          = "graph PATCH defaultAppManagementPolicy"
)

// serveDirectoryExtras answers the deleted items of the directory and the tenant's default app
// management policy:
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
func (a *API) serveDirectoryExtras(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.EscapedPath()
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) < 3 || parts[0] != "v1.0" {
		return false
	}
	var route, id string
	switch {
	case len(parts) == 3 && strings.EqualFold(parts[1], "policies") && strings.EqualFold(parts[2], "defaultAppManagementPolicy"):
		route = map[string]string{http.MethodGet: RouteGetAppPolicy, http.MethodPatch: RoutePatchAppPolicy}[r.Method]
	case len(parts) >= 4 && strings.EqualFold(parts[1], "directory") && strings.EqualFold(parts[2], "deletedItems"):
		id = parts[3]
		switch {
		// The type cast in its full form, or with Graph's namespace alias as msgraph-sdk-go sends it.
		case len(parts) == 4 && (strings.EqualFold(id, "microsoft.graph.application") || strings.EqualFold(id, "graph.application")) && r.Method == http.MethodGet:
			route = RouteListDeletedApplications
		case len(parts) == 4 && r.Method == http.MethodGet:
			route = RouteGetDeletedItem
		case len(parts) == 4 && r.Method == http.MethodDelete:
			route = RoutePurgeDeletedItem
		case len(parts) == 5 && strings.EqualFold(parts[4], "restore") && r.Method == http.MethodPost:
			route = RouteRestoreDeletedItem
		case len(parts) > 5 || (len(parts) == 5 && !strings.EqualFold(parts[4], "restore")):
			return false
		}
	default:
		return false
	}
	caller, ok := a.admit(w, r, route)
	if !ok {
		return true
	}
	if route != RouteListDeletedApplications && route != RouteGetAppPolicy && route != RoutePatchAppPolicy && !directory.IsGUID(id) {
		a.fail(w, newError(http.StatusBadRequest, CodeRequestBadRequest, "Invalid object identifier '"+id+"'."))
		return true
	}
	var gerr *graphError
	switch route {
	case RouteListDeletedApplications:
		gerr = a.listDeleted(w, r, caller)
	case RouteGetDeletedItem:
		gerr = a.getDeleted(w, r, caller, id)
	case RouteRestoreDeletedItem:
		gerr = a.restoreDeleted(w, caller, id)
	case RoutePurgeDeletedItem:
		gerr = a.purgeDeleted(w, caller, id)
	case RouteGetAppPolicy:
		gerr = a.getPolicy(w, caller)
	case RoutePatchAppPolicy:
		gerr = a.patchPolicy(w, r, caller)
	}
	if gerr != nil {
		a.fail(w, gerr)
	}
	return true
}

// admit does for the routes of this file what serve does for the applications API: count the request,
// add the configured latency, authenticate, refuse an unsupported method, inject faults. It reports
// false when it has answered.
func (a *API) admit(w http.ResponseWriter, r *http.Request, route string) (Caller, bool) {
	if route == "" {
		a.cfg.Count(RouteUnknown)
	} else {
		a.cfg.Count(route)
	}
	if a.cfg.Faults != nil {
		if d := a.cfg.Faults.Latency(); d > 0 {
			if err := sleep(r.Context(), d); err != nil {
				return Caller{}, false
			}
		}
	}
	caller, gerr := a.authenticate(r)
	if gerr != nil {
		a.fail(w, gerr)
		return Caller{}, false
	}
	if route == "" {
		a.fail(w, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The HTTP method '"+r.Method+"' is not allowed for this resource."))
		return Caller{}, false
	}
	if a.cfg.Faults != nil {
		switch d := a.cfg.Faults.Decide(r.Method != http.MethodGet); d.Kind {
		case faults.Unavailable:
			a.fail(w, newError(http.StatusServiceUnavailable, CodeServiceNotAvailable, MsgServiceNotAvailable))
			return Caller{}, false
		case faults.Throttle:
			w.Header().Set("Retry-After", strconv.Itoa(d.RetryAfter))
			a.fail(w, newError(http.StatusTooManyRequests, CodeTooManyRequests, MsgTooManyRequests))
			return Caller{}, false
		case faults.Conflict:
			a.fail(w, newError(http.StatusConflict, CodeConcurrencyViolation, MsgConcurrency))
			return Caller{}, false
		}
	}
	return caller, true
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
	raw, gerr := deletedJSON(&rec.Application, sel)
	if gerr != nil {
		return gerr
	}
	ctx, _ := json.Marshal(a.cfg.BaseURL() + "/v1.0/$metadata#directoryObjects/$entity")
	writeJSON(w, http.StatusOK, append(append([]byte(`{"@odata.context":`), ctx...), append([]byte(","), raw[1:]...)...))
	return nil
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
	raw, gerr := deletedJSON(&rec.Application, nil)
	if gerr != nil {
		return gerr
	}
	ctx, _ := json.Marshal(a.cfg.BaseURL() + "/v1.0/$metadata#directoryObjects/$entity")
	writeJSON(w, http.StatusOK, append(append([]byte(`{"@odata.context":`), ctx...), append([]byte(","), raw[1:]...)...))
	return nil
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
