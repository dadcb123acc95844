package graphapi

import (
	"net/http"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// msgMeNeedsDelegated is Graph's answer to /me with an app-only token.
const msgMeNeedsDelegated = "/me request is only valid with delegated authentication flow."

// ownedObjectsPath recognises the two ways Graph lists the applications a caller owns, cast to
// applications (other owned object types are left out, as Graph's type cast does):
//
//	GET /v1.0/servicePrincipals/{id}/ownedObjects/microsoft.graph.application   (app-only callers)
//	GET /v1.0/me/ownedObjects/microsoft.graph.application                        (signed-in users)
//
// It returns the service principal's id (empty for /me) and whether the path is /me.
func ownedObjectsPath(p string) (owner string, me, ok bool) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	me = len(parts) == 4 && strings.EqualFold(parts[1], "me")
	sp := len(parts) == 5 && strings.EqualFold(parts[1], "servicePrincipals")
	if parts[0] != "v1.0" || (!me && !sp) || !strings.EqualFold(parts[len(parts)-2], "ownedObjects") ||
		!strings.EqualFold(parts[len(parts)-1], "microsoft.graph.application") {
		return "", false, false
	}
	if sp {
		owner = parts[2]
	}
	return owner, me, true
}

// listOwnedApplications answers an owned-objects listing. /me with an app-only token answers Graph's
// 400. Reading owned objects takes what reading applications takes (authz.go: an app role that reads
// applications, or a signed-in user).
func (a *API) listOwnedApplications(w http.ResponseWriter, r *http.Request, caller Caller, owner string, me bool) *graphError {
	if me {
		if !caller.Delegated() {
			return newError(http.StatusBadRequest, CodeBadRequest, msgMeNeedsDelegated)
		}
		owner = caller.ObjectID
	}
	if !directory.IsGUID(owner) {
		return newError(http.StatusBadRequest, CodeRequestBadRequest, "Invalid object identifier '"+owner+"'.")
	}
	if !canRead(caller) {
		return accessDenied()
	}
	sel, gerr := parseSelect(r.URL.Query())
	if gerr != nil {
		return gerr
	}
	return a.writeApplications(w, sel, func(rec *directory.Record) bool { return rec.IsOwner(owner) }, true)
}
