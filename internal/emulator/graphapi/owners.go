package graphapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// Graph's answers about references, as Graph words them.
const (
	msgReferenceExists = "One or more added object references already exist for the following modified properties: 'owners'."
	msgMissingODataID  = "The request body must contain an '@odata.id' annotation naming the directory object to reference."
)

// ownersPath recognises the owners navigation of an application or a service principal:
//
//	{applications|servicePrincipals}/{id}/owners                     GET: list
//	{applications|servicePrincipals}(appId='{appId}')/owners         (the same, by appId)
//	.../owners/$ref                                                  POST: add (body {"@odata.id": …})
//	.../owners/{ownerId}/$ref                                        DELETE: remove
//
// segs are the path's segments after the version. It returns the entity ref, whether it is a service
// principal, the segments after "owners", and whether the path is an owners path.
func ownersPath(segs []string) (ref directory.Ref, sp bool, tail []string, perr *graphError, ok bool) {
	var entity, key string
	switch {
	case len(segs) >= 3 && strings.EqualFold(segs[2], "owners"):
		entity, key, tail = segs[0], segs[1], segs[3:]
	case len(segs) >= 2 && strings.EqualFold(segs[1], "owners") && strings.Contains(segs[0], "("):
		entity, tail = segs[0], segs[2:]
		open := strings.IndexByte(entity, '(')
		entity, key = entity[:open], entity[open:]
	default:
		return ref, false, nil, nil, false
	}
	switch {
	case strings.EqualFold(entity, "applications"):
	case strings.EqualFold(entity, "servicePrincipals"):
		sp = true
	default:
		return ref, false, nil, nil, false
	}
	ref, perr = parseKey(key)
	return ref, sp, tail, perr, true
}

// parseKey reads "{objectId}" or "(appId='{appId}')" as parseApplicationsPath does.
func parseKey(key string) (directory.Ref, *graphError) {
	p := "/v1.0/applications/" + key
	if strings.HasPrefix(key, "(") {
		p = "/v1.0/applications" + key
	}
	t, perr := parseApplicationsPath(p)
	return t.ref, perr
}

// ownersOperation resolves the operations of an owners path.
func (a *API) ownersOperation(method string, ref directory.Ref, sp bool, tail []string) operation {
	switch {
	case len(tail) == 0:
		op := operation{route: RouteListOwners}
		if method != http.MethodGet {
			op.route, op.write, op.err = RouteUnknown, true, methodNotAllowed(method)
			return op
		}
		op.run = func(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
			return a.listOwners(w, r, c, ref, sp)
		}
		return op
	case len(tail) == 1 && tail[0] == "$ref":
		op := operation{route: RouteAddOwner, write: true}
		if method != http.MethodPost {
			op.route, op.err = RouteUnknown, methodNotAllowed(method)
			return op
		}
		op.run = func(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
			return a.addOwner(w, r, c, ref, sp)
		}
		return op
	case len(tail) == 2 && tail[1] == "$ref":
		owner := tail[0]
		op := operation{route: RouteRemoveOwner, write: true}
		if method != http.MethodDelete {
			op.route, op.err = RouteUnknown, methodNotAllowed(method)
			return op
		}
		if !directory.IsGUID(owner) {
			op.err = newError(http.StatusBadRequest, CodeRequestBadRequest, "Invalid object identifier '"+owner+"'.")
			return op
		}
		op.run = func(w http.ResponseWriter, _ *http.Request, c Caller) *graphError {
			return a.removeOwner(w, c, ref, sp, owner)
		}
		return op
	}
	return operation{route: RouteUnknown, write: method != http.MethodGet,
		err: newError(http.StatusBadRequest, CodeBadRequest, "Resource not found for the segment '"+tail[0]+"'.")}
}

// lookupEntity finds the application, or the application whose service principal sp names.
func (a *API) lookupEntity(ref directory.Ref, sp bool) (*directory.Record, *graphError) {
	if sp {
		if ref.AppID != "" {
			rec, err := a.cfg.Directory.GetByAppID(ref.AppID, directory.Replica)
			if err != nil || !hasServicePrincipal(rec) {
				return nil, notFound(ref)
			}
			return rec, nil
		}
		rec, ok := a.cfg.Directory.ServicePrincipal(ref.ObjectID, directory.Replica)
		if !ok {
			return nil, notFound(ref)
		}
		return rec, nil
	}
	rec, err := a.cfg.Directory.Lookup(ref, directory.Replica)
	if errors.Is(err, directory.ErrNotFound) {
		return nil, notFound(ref)
	}
	if err != nil {
		return nil, internal(err)
	}
	return rec, nil
}

// ownsEntity reports whether objectID owns the application, or (sp) its service principal
// (serviceprincipal-post-owners and -delete-owners take ownership of the service principal itself).
func ownsEntity(rec *directory.Record, sp bool, objectID string) bool {
	return objectID != "" && directory.ContainsFold(ownersOf(rec, sp), objectID)
}

// ownersOf returns the owners of the application, or of its service principal.
func ownersOf(rec *directory.Record, sp bool) []string {
	if sp {
		return rec.ServicePrincipalOwners
	}
	return rec.Owners
}

// listOwners answers GET …/owners: the owners as directory objects (users and service principals), with
// Graph's @odata.type so that SDKs build the right model. Reading owners takes what reading the
// application takes (application-list-owners: Application.Read.All and up).
func (a *API) listOwners(w http.ResponseWriter, r *http.Request, c Caller, ref directory.Ref, sp bool) *graphError {
	if !canRead(c) {
		return accessDenied()
	}
	pg, gerr := parsePage(r)
	if gerr != nil {
		return gerr
	}
	rec, gerr := a.lookupEntity(ref, sp)
	if gerr != nil {
		return gerr
	}
	value := []any{}
	owners := ownersOf(rec, sp)
	page, next := pg.of(len(owners))
	for _, id := range owners[page.start:page.end] {
		value = append(value, a.directoryObjectJSON(id))
	}
	out := map[string]any{"@odata.context": a.cfg.BaseURL() + "/v1.0/$metadata#directoryObjects", "value": value}
	if next != "" {
		out["@odata.nextLink"] = a.cfg.BaseURL() + r.URL.EscapedPath() + "?" + next
	}
	body, err := json.Marshal(out)
	if err != nil {
		return internal(err)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// directoryObjectJSON renders an object id as the directory object it names. An owner id the directory
// does not know (seeds may name owners that are not modelled) is rendered as a bare directoryObject.
func (a *API) directoryObjectJSON(id string) map[string]any {
	obj, ok := a.cfg.Directory.Object(id, directory.Replica)
	if !ok {
		return map[string]any{"@odata.type": "#microsoft.graph.directoryObject", "id": id}
	}
	switch obj.Kind {
	case directory.KindUser:
		return userJSON(obj.User)
	case directory.KindServicePrincipal:
		return a.servicePrincipalObjectJSON(obj.Record)
	}
	return map[string]any{"@odata.type": "#microsoft.graph.application", "id": obj.Record.Application.ID,
		"appId": obj.Record.Application.AppID, "displayName": obj.Record.Application.DisplayName}
}

func userJSON(u directory.User) map[string]any {
	return map[string]any{
		"@odata.type": "#microsoft.graph.user", "id": u.ID, "displayName": nilIfEmpty(u.DisplayName),
		"userPrincipalName": nilIfEmpty(u.UserPrincipalName), "mail": nilIfEmpty(u.Mail),
	}
}

func (a *API) servicePrincipalObjectJSON(rec *directory.Record) map[string]any {
	out := a.servicePrincipalJSON(rec, nil)
	out["@odata.type"] = "#microsoft.graph.servicePrincipal"
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// referencedID reads the object id of a $ref body, {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}:
// the last segment of the URL (Graph accepts directoryObjects/, users/ and servicePrincipals/ URLs).
func referencedID(body []byte) (string, *graphError) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", newError(http.StatusBadRequest, CodeBadRequest, "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	var raw string
	if v, ok := doc["@odata.id"]; !ok || json.Unmarshal(v, &raw) != nil || raw == "" {
		return "", newError(http.StatusBadRequest, CodeBadRequest, msgMissingODataID)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", newError(http.StatusBadRequest, CodeRequestBadRequest, "Invalid object identifier '"+raw+"'.")
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	id := segs[len(segs)-1]
	if !directory.IsGUID(id) {
		return "", newError(http.StatusBadRequest, CodeRequestBadRequest, "Invalid object identifier '"+id+"'.")
	}
	return strings.ToLower(id), nil
}

// canAddOwner follows application-post-owners (Microsoft Learn, "Add owner", permissions table):
// app-only callers need Application.ReadWrite.All and Directory.Read.All (or Directory.ReadWrite.All);
// Application.ReadWrite.OwnedBy with Directory.Read.All suffices only for an application the caller owns,
// and "isn't sufficient to add another owner", so such a caller may add only itself. Delegated callers
// change what they may change (canWrite).
func canAddOwner(c Caller, owner bool, newOwner string) bool {
	if c.Delegated() {
		return canWrite(c, owner)
	}
	readsDirectory := c.HasRole(RoleDirectoryReadAll, RoleDirectoryReadWriteAll)
	if c.HasRole(RoleDirectoryReadWriteAll) || (readsDirectory && c.HasRole(RoleApplicationReadWriteAll)) {
		return true
	}
	return readsDirectory && owner && c.HasRole(RoleApplicationOwnedBy) && strings.EqualFold(newOwner, c.ObjectID)
}

// addOwner answers POST …/owners/$ref: 204, or 404 for an unknown application or referenced object
// (only users and service principals can own), 400 when the object already is an owner, 403 as
// canAddOwner decides.
func (a *API) addOwner(w http.ResponseWriter, r *http.Request, c Caller, ref directory.Ref, sp bool) *graphError {
	_, id, gerr := parsedBody(r, referencedID)
	if gerr != nil {
		return gerr
	}
	rec, gerr := a.lookupEntity(ref, sp)
	if gerr != nil {
		return gerr
	}
	if !canAddOwner(c, ownsEntity(rec, sp, c.ObjectID), id) {
		return accessDenied()
	}
	obj, ok := a.cfg.Directory.Object(id, directory.Replica)
	if !ok || obj.Kind == directory.KindApplication {
		return newError(http.StatusNotFound, CodeNotFound, "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
	}
	return a.changeOwners(w, ref, rec, sp, func(owners []string) ([]string, *graphError) {
		for _, o := range owners {
			if strings.EqualFold(o, id) {
				return nil, newError(http.StatusBadRequest, CodeRequestBadRequest, msgReferenceExists)
			}
		}
		return append(owners, id), nil
	})
}

// changeOwners writes the owners of the application or, with sp, of its service principal, as change
// computes them from the current list; a refusal of change is answered as is and nothing is stored.
func (a *API) changeOwners(w http.ResponseWriter, ref directory.Ref, rec *directory.Record, sp bool, change func([]string) ([]string, *graphError)) *graphError {
	var ruleErr *graphError
	_, err := a.cfg.Directory.Update(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary, func(_, current *directory.Record) (directory.Record, error) {
		next := current.Clone()
		list := &next.Owners
		if sp {
			list = &next.ServicePrincipalOwners
		}
		changed, gerr := change(*list)
		if gerr != nil {
			ruleErr = gerr
			return directory.Record{}, gerr
		}
		*list = changed
		return next, nil
	})
	if ruleErr != nil {
		return ruleErr
	}
	if err != nil {
		return a.directoryError(err, ref)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeOwner answers DELETE …/owners/{id}/$ref (application-delete-owners: Application.ReadWrite.OwnedBy
// on an owned application, or Application.ReadWrite.All): 204, or 404 when the object is not an owner.
// Graph recommends two owners but does not refuse removing the last one (the documentation states no
// such rule), so neither does the emulator.
func (a *API) removeOwner(w http.ResponseWriter, c Caller, ref directory.Ref, sp bool, owner string) *graphError {
	rec, gerr := a.lookupEntity(ref, sp)
	if gerr != nil {
		return gerr
	}
	if !canWrite(c, ownsEntity(rec, sp, c.ObjectID)) {
		return accessDenied()
	}
	return a.changeOwners(w, ref, rec, sp, func(owners []string) ([]string, *graphError) {
		kept := owners[:0:0]
		for _, o := range owners {
			if !strings.EqualFold(o, owner) {
				kept = append(kept, o)
			}
		}
		if len(kept) == len(owners) {
			return nil, newError(http.StatusNotFound, CodeNotFound, "Resource '"+owner+"' does not exist or one of its queried reference-property objects are not present.")
		}
		return kept, nil
	})
}

// boundOwners reads "owners@odata.bind" of a create body (application-post-applications, "Create an
// application and assign an owner"): URLs of directory objects, each a user or a service principal of
// the tenant, else Graph's 404 for a missing reference and nothing is created.
func (a *API) boundOwners(body []byte) ([]string, *graphError) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return nil, nil //nolint:nilerr // Merge has answered malformed bodies already
	}
	raw, ok := doc["owners@odata.bind"]
	if !ok {
		return nil, nil
	}
	var urls []string
	if err := json.Unmarshal(raw, &urls); err != nil {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "The value of 'owners@odata.bind' must be an array of directory object URLs.")
	}
	var out []string
	for _, u := range urls {
		ref, _ := json.Marshal(map[string]string{"@odata.id": u})
		id, gerr := referencedID(ref)
		if gerr != nil {
			return nil, gerr
		}
		obj, ok := a.cfg.Directory.Object(id, directory.Replica)
		if !ok || obj.Kind == directory.KindApplication {
			return nil, objectNotFound(id)
		}
		if !directory.ContainsFold(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}
