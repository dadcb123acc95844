package graphapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
	write := r.Method != http.MethodGet
	if owner, me, ok := ownedObjectsPath(r); ok {
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
	if spAppID, ok := servicePrincipalAppID(r); ok && r.Method == http.MethodGet {
		return operation{route: RouteGetServicePrincipal, run: func(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
			return a.getServicePrincipal(w, r, c, spAppID)
		}}
	}
	if isServicePrincipalList(r) && r.Method == http.MethodGet {
		return operation{route: RouteListServicePrincipals, run: a.listServicePrincipals}
	}

	tgt, perr := parsePath(r)
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
