package graphapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// ruleInput is what the write rules need: the stored application (as the serving replica sees it and as
// the primary has it), the application the write would produce, and what the body contained.
type ruleInput struct {
	view, current *directory.Application
	next          *directory.Application
	// sentPreAuthorized is true when the body contained api.preAuthorizedApplications.
	sentPreAuthorized bool
	tenantID          string
	verifiedDomains   []string
}

// checkRules enforces Graph's validation of application writes, in the order Graph reports them.
func checkRules(in ruleInput) *graphError {
	if e := checkScopeShape(in.next); e != nil {
		return e
	}
	if e := checkPreAuthorizedShape(in.next); e != nil {
		return e
	}
	// A replica that still sees a scope enabled refuses its removal just as the primary would.
	for _, before := range []*directory.Application{in.view, in.current} {
		if e := checkEnabledEntitlements(before, in.next); e != nil {
			return e
		}
	}
	if in.sentPreAuthorized {
		if e := checkPreAuthorizedReferences(in.view, in.next); e != nil {
			return e
		}
	}
	return checkIdentifierURIs(in)
}

func checkScopeShape(app *directory.Application) *graphError {
	ids := map[string]bool{}
	values := map[string]bool{}
	for _, s := range app.API.OAuth2PermissionScopes {
		if !directory.IsGUID(s.ID) {
			return newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Invalid value for property 'api.oauth2PermissionScopes.id': '%s' is not a valid GUID.", s.ID))
		}
		if s.Type != nil && *s.Type != "User" && *s.Type != "Admin" {
			return newError(http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Invalid value for property 'api.oauth2PermissionScopes.type': '%s'; expected 'User' or 'Admin'.", *s.Type))
		}
		id := strings.ToLower(s.ID)
		if ids[id] {
			return newError(http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Permission scope ids must be unique within the application: '%s' is used more than once.", s.ID))
		}
		ids[id] = true
		if s.Value != nil && *s.Value != "" {
			v := strings.ToLower(*s.Value)
			if values[v] {
				return newError(http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Permission scope values must be unique within the application: '%s' is used more than once.", *s.Value))
			}
			values[v] = true
		}
	}
	return nil
}

func checkPreAuthorizedShape(app *directory.Application) *graphError {
	for _, p := range app.API.PreAuthorizedApplications {
		if !directory.IsGUID(p.AppID) {
			return newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Invalid value for property 'api.preAuthorizedApplications.appId': '%s' is not a valid GUID.", p.AppID))
		}
		for _, id := range p.DelegatedPermissionIDs {
			if !directory.IsGUID(id) {
				return newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Invalid value for property 'api.preAuthorizedApplications.delegatedPermissionIds': '%s' is not a valid GUID.", id))
			}
		}
	}
	return nil
}

// checkEnabledEntitlements refuses removing an enabled scope or changing its value or type.
func checkEnabledEntitlements(before, next *directory.Application) *graphError {
	if before == nil {
		return nil
	}
	for _, old := range before.API.OAuth2PermissionScopes {
		if !old.IsEnabled {
			continue
		}
		updated, ok := findScope(next.API.OAuth2PermissionScopes, old.ID)
		if !ok || deref(updated.Value) != deref(old.Value) || deref(updated.Type) != deref(old.Type) {
			return newError(http.StatusBadRequest, CodeEnabledEntitlement, MsgEnabledEntitlement)
		}
	}
	return nil
}

// checkPreAuthorizedReferences requires every pre-authorized permission id to name a scope that exists
// both before the write (so a scope cannot be created and pre-authorized in one request) and after it.
func checkPreAuthorizedReferences(before, next *directory.Application) *graphError {
	for _, p := range next.API.PreAuthorizedApplications {
		for _, id := range p.DelegatedPermissionIDs {
			_, inBefore := findScope(scopesOf(before), id)
			_, inNext := findScope(next.API.OAuth2PermissionScopes, id)
			if !inBefore || !inNext {
				return newError(http.StatusBadRequest, CodeRequestBadRequest, MsgUnknownPermissionID)
			}
		}
	}
	return nil
}

// checkIdentifierURIs validates the form of identifier URIs the write adds. URIs already on the
// application are kept as they are (Graph validates new values only).
func checkIdentifierURIs(in ruleInput) *graphError {
	for _, uri := range in.next.IdentifierURIs {
		if in.current != nil && containsFold(in.current.IdentifierURIs, uri) {
			continue
		}
		if !identifierURIAllowed(uri, in.next.AppID, in.tenantID, in.verifiedDomains) {
			return newError(http.StatusBadRequest, CodeHostNameNotVerified, fmt.Sprintf(msgHostNameNotVerifiedF, uri))
		}
	}
	return nil
}

// identifierURIAllowed implements Entra's identifier URI policy for single-tenant applications:
// api://<appId>, api://<tenantId>/<string>, api://<string>/<appId>, and https:// URIs whose host is a
// verified domain of the tenant or a subdomain of one.
func identifierURIAllowed(uri, appID, tenantID string, verifiedDomains []string) bool {
	lower := strings.ToLower(uri)
	if rest, ok := strings.CutPrefix(lower, "api://"); ok {
		rest = strings.TrimSuffix(rest, "/")
		if rest == "" {
			return false
		}
		if strings.EqualFold(rest, appID) {
			return true
		}
		if after, ok := strings.CutPrefix(rest, strings.ToLower(tenantID)+"/"); ok && after != "" {
			return true
		}
		if i := strings.LastIndexByte(rest, '/'); i > 0 && strings.EqualFold(rest[i+1:], appID) {
			return true
		}
		return false
	}
	if !strings.HasPrefix(lower, "https://") {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Hostname() == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range verifiedDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d != "" && (host == d || strings.HasSuffix(host, "."+d)) {
			return true
		}
	}
	return false
}

func scopesOf(app *directory.Application) []directory.PermissionScope {
	if app == nil {
		return nil
	}
	return app.API.OAuth2PermissionScopes
}

func findScope(scopes []directory.PermissionScope, id string) (directory.PermissionScope, bool) {
	for _, s := range scopes {
		if strings.EqualFold(s.ID, id) {
			return s, true
		}
	}
	return directory.PermissionScope{}, false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
