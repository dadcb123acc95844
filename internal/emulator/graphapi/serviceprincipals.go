package graphapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// RouteGetServicePrincipal counts GET /v1.0/servicePrincipals(appId='…').
const RouteGetServicePrincipal = "graph GET servicePrincipal"

// servicePrincipalAppID returns the appId of a "/v1.0/servicePrincipals(appId='…')" path, and whether the
// path is one. Every application of the directory has its service principal in the tenant; service
// principals of other tenants' applications are not modelled.
func servicePrincipalAppID(r *http.Request) (string, bool) {
	p := r.URL.EscapedPath()
	if unescaped, err := url.PathUnescape(p); err == nil {
		p = unescaped
	}
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

// getServicePrincipal serves GET servicePrincipals(appId='…') with Graph's authorization: reading needs
// what reading an application needs.
func (a *API) getServicePrincipal(w http.ResponseWriter, c Caller, appID string) *graphError {
	if !canRead(c) {
		return accessDenied()
	}
	ref := directory.Ref{AppID: appID}
	rec, err := a.cfg.Directory.Lookup(ref, directory.Replica)
	if errors.Is(err, directory.ErrNotFound) || err == nil && rec.ServicePrincipalID == "" {
		return notFound(ref)
	}
	if err != nil {
		return internal(err)
	}
	name := ""
	if rec.Application.DisplayName != nil {
		name = *rec.Application.DisplayName
	}
	body, err := json.Marshal(map[string]any{
		"@odata.context": a.cfg.BaseURL() + "/v1.0/$metadata#servicePrincipals/$entity",
		"id":             rec.ServicePrincipalID, "appId": rec.Application.AppID, "displayName": name,
		"servicePrincipalType": "Application", "appOwnerOrganizationId": a.cfg.Directory.TenantID(),
	})
	if err != nil {
		return internal(fmt.Errorf("encoding service principal: %w", err))
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
