package graphapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// RouteListOwnedApplications counts GET .../ownedObjects/microsoft.graph.application.
const RouteListOwnedApplications = "graph GET ownedObjects applications"

// msgMeNeedsDelegated is Graph's answer to /me with an app-only token.
const msgMeNeedsDelegated = "/me request is only valid with delegated authentication flow."

// serveOwnedObjects answers the two ways Graph lists the applications a caller owns, cast to
// applications (other owned object types are left out, as Graph's type cast does):
//
//	GET /v1.0/servicePrincipals/{id}/ownedObjects/microsoft.graph.application   (app-only callers)
//	GET /v1.0/me/ownedObjects/microsoft.graph.application                        (signed-in users)
//
// /me with an app-only token answers Graph's 400. Reading owned objects takes what reading applications
// takes (authz.go: an app role that reads applications, or a signed-in user). It reports false when the
// path is not one of these, leaving the request to the applications API.
func (a *API) serveOwnedObjects(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.EscapedPath()
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	me := len(parts) == 4 && strings.EqualFold(parts[1], "me")
	sp := len(parts) == 5 && strings.EqualFold(parts[1], "servicePrincipals")
	if parts[0] != "v1.0" || (!me && !sp) || !strings.EqualFold(parts[len(parts)-2], "ownedObjects") ||
		!strings.EqualFold(parts[len(parts)-1], "microsoft.graph.application") {
		return false
	}
	a.cfg.Count(RouteListOwnedApplications)
	h := w.Header()
	h.Set("request-id", directory.NewGUID())
	h.Set("OData-Version", "4.0")
	caller, gerr := a.authenticate(r)
	if gerr != nil {
		a.fail(w, gerr)
		return true
	}
	if r.Method != http.MethodGet {
		a.fail(w, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The HTTP method '"+r.Method+"' is not allowed for this resource."))
		return true
	}
	owner := ""
	if me {
		if !caller.Delegated() {
			a.fail(w, newError(http.StatusBadRequest, CodeBadRequest, msgMeNeedsDelegated))
			return true
		}
		owner = caller.ObjectID
	} else {
		owner = parts[2]
	}
	if !directory.IsGUID(owner) {
		a.fail(w, newError(http.StatusBadRequest, CodeRequestBadRequest, "Invalid object identifier '"+owner+"'."))
		return true
	}
	if !canRead(caller) {
		a.fail(w, accessDenied())
		return true
	}
	sel, gerr := parseSelect(r.URL.Query())
	if gerr != nil {
		a.fail(w, gerr)
		return true
	}
	if gerr := a.writeApplications(w, sel, func(rec *directory.Record) bool { return rec.IsOwner(owner) }, true); gerr != nil {
		a.fail(w, gerr)
	}
	return true
}
