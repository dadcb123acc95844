package graphapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// Graph app roles that read the directory beyond applications.
const (
	RoleUserReadAll      = "User.Read.All"
	RoleUserReadBasicAll = "User.ReadBasic.All"
	RoleUserReadWriteAll = "User.ReadWrite.All"
	RoleDomainReadAll    = "Domain.Read.All"
	RoleDomainReadWrite  = "Domain.ReadWrite.All"
)

// directoryObjectOperation resolves GET users/{id}, directoryObjects/{id}, servicePrincipals/{id} and
// domains; ok is false for other paths.
func (a *API) directoryObjectOperation(method string, segs []string) (operation, bool) {
	var op operation
	switch {
	case len(segs) == 1 && strings.EqualFold(segs[0], "domains"):
		op = operation{route: RouteListDomains, run: func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError { return a.listDomains(w, c) }}
	case len(segs) == 2 && strings.EqualFold(segs[0], "users"):
		id := segs[1]
		op = operation{route: RouteGetUser, run: func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError { return a.getUser(w, c, id) }}
		op.err = checkObjectID(id)
	case len(segs) == 2 && strings.EqualFold(segs[0], "directoryObjects"):
		id := segs[1]
		op = operation{route: RouteGetDirectoryObject, run: func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError {
			return a.getDirectoryObject(w, c, id)
		}}
		op.err = checkObjectID(id)
	case len(segs) == 2 && strings.EqualFold(segs[0], "servicePrincipals"):
		id := segs[1]
		op = operation{route: RouteGetServicePrincipalID, run: func(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
			return a.getServicePrincipalByID(w, r, c, id)
		}}
		op.err = checkObjectID(id)
	default:
		return operation{}, false
	}
	if method == http.MethodDelete && strings.EqualFold(segs[0], "servicePrincipals") && op.err == nil {
		id := segs[1]
		return operation{route: RouteDeleteServicePrincipal, write: true, run: func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError {
			return a.deleteServicePrincipal(w, c, id)
		}}, true
	}
	if method == http.MethodPatch && strings.EqualFold(segs[0], "servicePrincipals") && op.err == nil {
		id := segs[1]
		return operation{route: RoutePatchServicePrincipal, write: true, run: func(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
			return a.patchServicePrincipal(w, r, c, id, "")
		}}, true
	}
	if method != http.MethodGet {
		return operation{route: RouteUnknown, write: true, err: methodNotAllowed(method)}, true
	}
	return op, true
}

func checkObjectID(id string) *graphError {
	if !directory.IsGUID(id) {
		return newError(http.StatusBadRequest, CodeRequestBadRequest, "Invalid object identifier '"+id+"'.")
	}
	return nil
}

// canReadUsers follows user-get (Microsoft Learn, "Get user"): app-only callers need User.Read.All
// (or User.ReadBasic.All, User.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All); a signed-in
// member user reads other users.
func canReadUsers(c Caller) bool {
	return c.Delegated() || c.HasRole(RoleUserReadAll, RoleUserReadBasicAll, RoleUserReadWriteAll, RoleDirectoryReadAll, RoleDirectoryReadWriteAll)
}

// canReadDirectoryObjects follows directoryobject-get ("Get directoryObject"): Directory.Read.All or
// Directory.ReadWrite.All for app-only callers; signed-in users read them.
func canReadDirectoryObjects(c Caller) bool {
	return c.Delegated() || c.HasRole(RoleDirectoryReadAll, RoleDirectoryReadWriteAll)
}

// canReadDomains follows domain-list ("List domains"): Domain.Read.All, Domain.ReadWrite.All,
// Directory.Read.All or Directory.ReadWrite.All for app-only callers; signed-in users read them.
func canReadDomains(c Caller) bool {
	return c.Delegated() || c.HasRole(RoleDomainReadAll, RoleDomainReadWrite, RoleDirectoryReadAll, RoleDirectoryReadWriteAll)
}

func (a *API) writeObject(w http.ResponseWriter, context string, obj map[string]any) *graphError {
	obj["@odata.context"] = a.cfg.BaseURL() + "/v1.0/$metadata#" + context + "/$entity"
	body, err := json.Marshal(obj)
	if err != nil {
		return internal(err)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func objectNotFound(id string) *graphError {
	return newError(http.StatusNotFound, CodeNotFound, "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

func (a *API) getUser(w http.ResponseWriter, c Caller, id string) *graphError {
	if !canReadUsers(c) {
		return accessDenied()
	}
	u, ok := a.cfg.Directory.User(id)
	if !ok {
		return objectNotFound(id)
	}
	out := userJSON(u)
	delete(out, "@odata.type")
	return a.writeObject(w, "users", out)
}

func (a *API) getDirectoryObject(w http.ResponseWriter, c Caller, id string) *graphError {
	if !canReadDirectoryObjects(c) {
		return accessDenied()
	}
	if _, ok := a.cfg.Directory.Object(id, directory.Replica); !ok {
		return objectNotFound(id)
	}
	return a.writeObject(w, "directoryObjects", a.directoryObjectJSON(id))
}

func (a *API) getServicePrincipalByID(w http.ResponseWriter, r *http.Request, c Caller, id string) *graphError {
	if !canRead(c) {
		return accessDenied()
	}
	sel, gerr := parseServicePrincipalSelect(r)
	if gerr != nil {
		return gerr
	}
	rec, ok := a.cfg.Directory.ServicePrincipal(id, directory.Replica)
	if !ok {
		return objectNotFound(id)
	}
	return a.writeObject(w, "servicePrincipals"+selectSuffix(sel), a.servicePrincipalJSON(rec, sel))
}

// listDomains answers GET /domains (domain-list): the tenant's verified domains (the seed's
// verifiedDomains), the first one the default, and the initial <name>.onmicrosoft.com domain every
// tenant has (isInitial, isVerified; directory.InitialDomain says how its name is chosen).
func (a *API) listDomains(w http.ResponseWriter, c Caller) *graphError {
	if !canReadDomains(c) {
		return accessDenied()
	}
	value := []any{}
	initial := a.cfg.Directory.InitialDomain()
	for i, d := range a.cfg.Directory.VerifiedDomains() {
		value = append(value, map[string]any{
			"id": d, "authenticationType": "Managed", "availabilityStatus": nil, "isAdminManaged": true,
			"isDefault": i == 0, "isInitial": strings.EqualFold(d, initial), "isRoot": true,
			"isVerified": true, "passwordNotificationWindowInDays": nil, "passwordValidityPeriodInDays": nil,
			"supportedServices": []string{}, "state": nil,
		})
	}
	body, err := json.Marshal(map[string]any{"@odata.context": a.cfg.BaseURL() + "/v1.0/$metadata#domains", "value": value})
	if err != nil {
		return internal(err)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
