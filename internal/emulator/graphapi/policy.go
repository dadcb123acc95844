package graphapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// Graph permissions of the tenant's default app management policy (Microsoft Learn, "Get
// tenantAppManagementPolicy" and "Update tenantAppManagementPolicy").
const (
	RolePolicyReadAll                      = "Policy.Read.All"
	RolePolicyReadApplicationConfiguration = "Policy.Read.ApplicationConfiguration"
	RolePolicyReadWriteApplicationConfig   = "Policy.ReadWrite.ApplicationConfiguration"
	RoleTemplateGlobalReader               = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	policyContextSuffix                    = "/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity"
)

// hasScope reports whether a delegated token's scp claim holds one of the scopes.
func (c Caller) hasScope(scopes ...string) bool {
	for _, have := range strings.Fields(c.Scopes) {
		for _, want := range scopes {
			if strings.EqualFold(have, want) {
				return true
			}
		}
	}
	return false
}

// canReadPolicy: app-only Policy.Read.All, Policy.Read.ApplicationConfiguration or
// Policy.ReadWrite.ApplicationConfiguration; a signed-in user needs one of those delegated scopes and a
// directory role that reads policies (Global Reader is the least privileged; the application
// administrator roles and Global Administrator also do).
func canReadPolicy(c Caller) bool {
	scopes := []string{RolePolicyReadAll, RolePolicyReadApplicationConfiguration, RolePolicyReadWriteApplicationConfig}
	if c.Delegated() {
		return c.hasScope(scopes...) && (c.hasAppAdminRole() || directory.ContainsFold(c.DirectoryRoles, RoleTemplateGlobalReader))
	}
	return c.HasRole(scopes...)
}

// canWritePolicy: Policy.ReadWrite.ApplicationConfiguration, and for a signed-in user also the Cloud
// Application Administrator or Application Administrator role (or Global Administrator).
func canWritePolicy(c Caller) bool {
	if c.Delegated() {
		return c.hasScope(RolePolicyReadWriteApplicationConfig) && c.hasAppAdminRole()
	}
	return c.HasRole(RolePolicyReadWriteApplicationConfig)
}

func (a *API) getPolicy(w http.ResponseWriter, c Caller) *graphError {
	if !canReadPolicy(c) {
		return accessDenied()
	}
	raw, err := json.Marshal(a.cfg.Directory.AppManagementPolicy())
	if err != nil {
		return internal(err)
	}
	writeEntity(w, a.cfg.BaseURL()+policyContextSuffix, raw)
	return nil
}

// patchPolicy merges the body into the policy and answers 204 No Content. A body Graph cannot apply
// (malformed JSON, an unknown property, a wrong type, an invalid state) is refused and nothing is stored.
func (a *API) patchPolicy(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
	body, gerr := bodyIf(canWritePolicy(c), r)
	if gerr != nil {
		return gerr
	}
	if err := a.cfg.Directory.PatchAppManagementPolicy(body); err != nil {
		var pe *directory.PatchError
		if errors.Is(err, directory.ErrMalformedBody) || errors.As(err, &pe) {
			return patchError(err)
		}
		return internal(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
