package graphapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// createServicePrincipal answers POST /servicePrincipals {"appId": "…", …} (serviceprincipal-post-
// serviceprincipals: Application.ReadWrite.OwnedBy, Application.ReadWrite.All or
// Directory.ReadWrite.All for app-only callers). Graph does not create a service principal with an
// application; the emulator gives every application one from the start, and answers this request with
// 201 for an application created through Graph whose service principal no client has created yet, and
// with Graph's 409 Request_MultipleObjectsWithSameKeyValue once it exists (the message azuread reports,
// e.g. Azure/reliable-web-app-pattern-java#185; the documentation does not list it). An appId of no
// application of the tenant is a 400 (the emulator does not model other tenants' applications). The
// body's other properties (those azuread sends: accountEnabled, appRoleAssignmentRequired, tags, notes,
// description, …) are stored and returned, checked as PATCH checks them (serviceprincipalprops.go).
func (a *API) createServicePrincipal(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
	body, gerr := bodyIf(canCreate(c), r)
	if gerr != nil {
		return gerr
	}
	var req struct {
		AppID string `json:"appId"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return newError(http.StatusBadRequest, CodeBadRequest, "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	if strings.TrimSpace(req.AppID) == "" {
		return newError(http.StatusBadRequest, CodeRequestBadRequest, "Required property 'appId' not set.")
	}
	bound, gerr := a.boundOwners(body)
	if gerr != nil {
		return gerr
	}
	props, gerr := parseServicePrincipalBody(body)
	if gerr != nil {
		return gerr
	}
	var ruleErr *graphError
	var conflict bool
	rec, err := a.cfg.Directory.Update(directory.Ref{AppID: req.AppID}, directory.Primary, func(_, current *directory.Record) (directory.Record, error) {
		if !current.ServicePrincipalPending {
			conflict = true
			return directory.Record{}, directory.ErrConflict
		}
		next := current.Clone()
		next.ServicePrincipalPending = false
		next.ServicePrincipalOwners = bound
		if ruleErr = props.checkReadOnly(a.servicePrincipalJSON(&next, nil)); ruleErr != nil {
			return directory.Record{}, ruleErr
		}
		next.ServicePrincipalProperties = props.apply(nil) // a new service principal: what the body sets
		return next, nil
	})
	switch {
	case ruleErr != nil:
		return ruleErr
	case conflict:
		return newError(http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
			"The service principal cannot be created, updated, or restored because the service principal name "+req.AppID+" is already in use.")
	case err != nil:
		return newError(http.StatusBadRequest, CodeRequestBadRequest, "The appId '"+req.AppID+"' of the service principal does not reference a valid application object.")
	}
	out := a.servicePrincipalJSON(rec, nil)
	out["@odata.context"] = a.cfg.BaseURL() + "/v1.0/$metadata#servicePrincipals/$entity"
	raw, jerr := json.Marshal(out)
	if jerr != nil {
		return internal(jerr)
	}
	w.Header().Set("Location", a.cfg.BaseURL()+"/v1.0/directoryObjects/"+rec.ServicePrincipalID+"/Microsoft.DirectoryServices.ServicePrincipal")
	writeJSON(w, http.StatusCreated, raw)
	return nil
}

// deleteServicePrincipal answers DELETE /servicePrincipals/{id} (serviceprincipal-delete: as changing
// the application). The emulator marks it not created: Graph's reads answer 404 for it, the token
// endpoint refuses the application (AADSTS7000229; tokens issued before keep working until they
// expire), and POST /servicePrincipals creates it again with the same id; its owners and properties are
// dropped.
func (a *API) deleteServicePrincipal(w http.ResponseWriter, c Caller, id string) *graphError {
	rec, ok := a.cfg.Directory.ServicePrincipal(id, directory.Replica)
	if !ok || rec.ServicePrincipalPending {
		return objectNotFound(id)
	}
	if !canWrite(c, ownsEntity(rec, true, c.ObjectID) || rec.IsOwner(c.ObjectID)) {
		return accessDenied()
	}
	if _, err := a.cfg.Directory.Update(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary, func(_, current *directory.Record) (directory.Record, error) {
		next := current.Clone()
		next.ServicePrincipalPending = true
		next.ServicePrincipalOwners = nil
		next.ServicePrincipalProperties = nil
		return next, nil
	}); err != nil {
		return a.directoryError(err, directory.Ref{ObjectID: id})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
