package graphapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Route names, one per Graph operation: the emulator's request counter counts each request under the
// name RouteName gives it (the admin API's counters, the figures and the tests read them).
const (
	// Applications.
	RouteGetApplication    = "graph GET application"
	RouteListApplications  = "graph GET applications"
	RoutePatchApplication  = "graph PATCH application"
	RouteCreateApplication = "graph POST application"
	RouteDeleteApplication = "graph DELETE application"
	// GET .../ownedObjects/microsoft.graph.application.
	RouteListOwnedApplications = "graph GET ownedObjects applications"
	// Owners, directory objects, users and domains.
	RouteListOwners            = "graph GET owners"
	RouteAddOwner              = "graph POST owner"
	RouteRemoveOwner           = "graph DELETE owner"
	RouteGetServicePrincipalID = "graph GET servicePrincipal by id"
	RouteGetDirectoryObject    = "graph GET directoryObject"
	RouteGetUser               = "graph GET user"
	RouteListDomains           = "graph GET domains"
	// Service principals: GET servicePrincipals(appId='…'), the filtered list, PATCH by id or appId,
	// POST and DELETE.
	RouteGetServicePrincipal    = "graph GET servicePrincipal"
	RouteListServicePrincipals  = "graph GET servicePrincipals"
	RoutePatchServicePrincipal  = "graph PATCH servicePrincipal"
	RouteCreateServicePrincipal = "graph POST servicePrincipal"
	RouteDeleteServicePrincipal = "graph DELETE servicePrincipal"
	// The deleted items and the tenant's app management policy.
	RouteListDeletedApplications = "graph GET deletedItems applications"
	RouteGetDeletedItem          = "graph GET deletedItem"
	RouteRestoreDeletedItem      = "graph POST deletedItem restore"
	RoutePurgeDeletedItem        = "graph DELETE deletedItem"
	RouteGetAppPolicy            = "graph GET defaultAppManagementPolicy"
	RoutePatchAppPolicy          = "graph PATCH defaultAppManagementPolicy"
	// Every path and method Graph refuses.
	RouteUnknown = "graph other"
)

// operation is what dispatch resolved a request to: its route name (the request counter), whether the
// fault injector treats it as a write, and the function serving it, or the error Graph answers for
// its path or method (err, after authentication).
type operation struct {
	route string
	write bool
	err   *graphError
	run   func(w http.ResponseWriter, r *http.Request, c Caller) *graphError
}

// RouteName returns the route a request takes, the name the emulator counts it under
// (RouteGetApplication, ..., RouteUnknown for paths and methods Graph refuses).
func (a *API) RouteName(r *http.Request) string { return a.dispatch(r).route }

// dispatch resolves a request to its operation. Every path the Graph API serves is resolved here, so
// that serve's pipeline (authentication, faults) runs before every one of them.
func (a *API) dispatch(r *http.Request) operation {
	p := requestPath(r)
	if len(p) >= len("/beta/") && strings.EqualFold(p[:len("/beta/")], "/beta/") {
		// Graph's beta endpoint serves the same paths; the application properties clients read from
		// it (oauth2RequirePostResponse) are v1.0 properties too (msgraph-sdk-go's v1.0 model has them).
		return a.dispatchPath(r, "/v1.0/"+p[len("/beta/"):])
	}
	return a.dispatchPath(r, p)
}

// dispatchPath resolves a v1.0 path (p, percent-decoded, without a trailing slash).
func (a *API) dispatchPath(r *http.Request, p string) operation {
	write := r.Method != http.MethodGet
	if rest, ok := strings.CutPrefix(p, "/v1.0/"); ok {
		segs := strings.Split(rest, "/")
		if ref, sp, tail, perr, ok := ownersPath(segs); ok {
			if perr != nil {
				return operation{route: RouteUnknown, write: write, err: perr}
			}
			return a.ownersOperation(r.Method, ref, sp, tail)
		}
		if op, ok := a.directoryObjectOperation(r.Method, segs); ok {
			return op
		}
		if op, ok := a.directoryExtrasOperation(r.Method, segs); ok {
			return op
		}
	}
	if owner, me, ok := ownedObjectsPath(p); ok {
		op := operation{route: RouteListOwnedApplications, write: write}
		if r.Method != http.MethodGet {
			op.err = methodNotAllowed(r.Method)
			return op
		}
		op.run = func(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
			return a.listOwnedApplications(w, r, c, owner, me)
		}
		return op
	}
	if spAppID, ok := servicePrincipalAppID(p); ok && r.Method == http.MethodGet {
		return operation{route: RouteGetServicePrincipal, run: func(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
			return a.getServicePrincipal(w, r, c, spAppID)
		}}
	}
	if spAppID, ok := servicePrincipalAppID(p); ok && r.Method == http.MethodPatch {
		return operation{route: RoutePatchServicePrincipal, write: true, run: func(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
			return a.patchServicePrincipal(w, r, c, "", spAppID)
		}}
	}
	if isServicePrincipalList(p) && r.Method == http.MethodPost {
		return operation{route: RouteCreateServicePrincipal, write: true, run: a.createServicePrincipal}
	}
	if isServicePrincipalList(p) && r.Method == http.MethodGet {
		return operation{route: RouteListServicePrincipals, run: a.listServicePrincipals}
	}

	tgt, perr := parseApplicationsPath(p)
	op := operation{route: routeOf(r.Method, tgt, perr), write: write, err: perr}
	if perr != nil {
		return op
	}
	switch op.route {
	case RouteGetApplication:
		op.run = func(w http.ResponseWriter, r *http.Request, c Caller) *graphError { return a.get(w, r, c, tgt.ref) }
	case RouteListApplications:
		op.run = a.list
	case RoutePatchApplication:
		op.run = func(w http.ResponseWriter, r *http.Request, c Caller) *graphError { return a.patch(w, r, c, tgt.ref) }
	case RouteCreateApplication:
		op.run = a.create
	case RouteDeleteApplication:
		op.run = func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError { return a.delete(w, c, tgt.ref) }
	default:
		op.err = methodNotAllowed(r.Method)
	}
	return op
}

func methodNotAllowed(method string) *graphError {
	return newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, fmt.Sprintf("The HTTP method '%s' is not allowed for this resource.", method))
}

// requestPath returns the request's path, percent-decoded, without a trailing slash.
func requestPath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	return strings.TrimSuffix(p, "/")
}
