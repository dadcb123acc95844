package graphapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// isServicePrincipalList reports whether the path is the service principal collection.
func isServicePrincipalList(p string) bool {
	return strings.EqualFold(p, "/v1.0/servicePrincipals")
}

// servicePrincipalAppID returns the appId of a "/v1.0/servicePrincipals(appId='…')" path, and whether the
// path is one. Seeded applications have their service principal in the tenant; one created through
// Graph has it once a client creates it (hasServicePrincipal); service principals of other tenants'
// applications are not modelled.
func servicePrincipalAppID(p string) (string, bool) {
	const prefix = "/v1.0/servicePrincipals("
	if len(p) < len(prefix) || !strings.EqualFold(p[:len(prefix)], prefix) || !strings.HasSuffix(p, ")") {
		return "", false
	}
	key, value, ok := strings.Cut(p[len(prefix):len(p)-1], "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(key), "appId") {
		return "", false
	}
	return strings.Trim(strings.TrimSpace(value), `'"`), true
}

// getServicePrincipal serves GET servicePrincipals(appId='…') with $select and Graph's authorization:
// reading needs what reading an application needs. An empty key is refused as for applications.
func (a *API) getServicePrincipal(w http.ResponseWriter, r *http.Request, c Caller, appID string) *graphError {
	if !canRead(c) {
		return accessDenied()
	}
	if appID == "" {
		return newError(http.StatusBadRequest, CodeBadRequest, "The key value for appId is empty.")
	}
	sel, gerr := parseServicePrincipalSelect(r)
	if gerr != nil {
		return gerr
	}
	ref := directory.Ref{AppID: appID}
	rec, err := a.cfg.Directory.Lookup(ref, directory.Replica)
	if errors.Is(err, directory.ErrNotFound) || err == nil && !hasServicePrincipal(rec) {
		return notFound(ref)
	}
	if err != nil {
		return internal(err)
	}
	entity := a.servicePrincipalJSON(rec, sel)
	entity["@odata.context"] = a.cfg.BaseURL() + "/v1.0/$metadata#servicePrincipals" + selectSuffix(sel) + "/$entity"
	body, err := json.Marshal(entity)
	if err != nil {
		return internal(fmt.Errorf("encoding service principal: %w", err))
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// listServicePrincipals serves GET servicePrincipals with the filters parseServicePrincipalFilter supports
// and $select, with the authorization of getServicePrincipal (reading needs what reading an application
// needs). Only service principals that exist are listed (hasServicePrincipal); other tenants' are not
// modelled.
func (a *API) listServicePrincipals(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
	if !canRead(c) {
		return accessDenied()
	}
	sel, gerr := parseServicePrincipalSelect(r)
	if gerr != nil {
		return gerr
	}
	match, gerr := parseServicePrincipalFilter(r.URL.Query().Get("$filter"))
	if gerr != nil {
		return gerr
	}
	value := []map[string]any{}
	for _, rec := range a.cfg.Directory.List(directory.Replica) {
		if hasServicePrincipal(rec) && match(rec.Application.AppID) {
			value = append(value, a.servicePrincipalJSON(rec, sel))
		}
	}
	odataContext := a.cfg.BaseURL() + "/v1.0/$metadata#servicePrincipals" + selectSuffix(sel)
	body, err := json.Marshal(map[string]any{"@odata.context": odataContext, "value": value})
	if err != nil {
		return internal(fmt.Errorf("encoding service principals: %w", err))
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// parseServicePrincipalSelect parses $select against the service principal properties the emulator
// serves (servicePrincipalProperties, and on /beta betaServicePrincipalProperties), refusing others as
// Graph does; nil means no $select.
func parseServicePrincipalSelect(r *http.Request) ([]string, *graphError) {
	var sel []string
	beta := isBeta(r)
	for _, part := range strings.Split(r.URL.Query().Get("$select"), ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			continue
		}
		canonical, _, ok := servicePrincipalProperty(name)
		for _, b := range betaServicePrincipalProperties {
			if beta && strings.EqualFold(b, name) {
				canonical, ok = b, true
			}
		}
		if !ok {
			return nil, newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.servicePrincipal'.", name))
		}
		sel = append(sel, canonical)
	}
	return sel, nil
}

// isBeta reports whether the request came to Graph's beta endpoint.
func isBeta(r *http.Request) bool {
	p := requestPath(r)
	return len(p) >= len("/beta/") && strings.EqualFold(p[:len("/beta/")], "/beta/")
}

// servicePrincipalJSON is the service principal of rec in Graph's full shape (servicePrincipalDefaults,
// with the properties clients set), projected on sel (id is always kept; a beta-only property selected
// is null: the emulator models no SAML metadata).
func (a *API) servicePrincipalJSON(rec *directory.Record, sel []string) map[string]any {
	full := a.servicePrincipalDefaults(rec)
	for k, v := range rec.ServicePrincipalProperties {
		full[k] = v
	}
	if sel != nil {
		out := map[string]any{"id": full["id"]}
		for _, k := range sel {
			out[k] = full[k]
		}
		return out
	}
	return full
}

// hasServicePrincipal reports whether the application's service principal exists: seeded applications
// have one, one created through Graph has it once POST /servicePrincipals created it, and not after
// DELETE /servicePrincipals/{id}. Graph answers 404 for one that does not exist.
func hasServicePrincipal(rec *directory.Record) bool {
	return rec.ServicePrincipalID != "" && !rec.ServicePrincipalPending
}
