package graphapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

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
	// policy is the tenant's default app management policy; now is when the write happens.
	policy directory.AppManagementPolicy
	now    time.Time
}

// checkRules enforces Graph's validation of application writes, in the order Graph reports them.
func checkRules(in ruleInput) *graphError {
	if e := checkLimits(in.next); e != nil {
		return e
	}
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
			return invalidProperty("type", "PermissionScope")
		}
		if s.Value != nil && !validScopeValue(*s.Value) {
			return invalidProperty("value", "PermissionScope")
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

// Documented length limits of application properties (Microsoft Learn, "application resource type":
// displayName "Maximum length is 256 characters", description "The maximum allowed size is 1,024
// characters").
const (
	maxDisplayNameLength = 256
	maxDescriptionLength = 1024
	maxScopeValueLength  = 120
)

// invalidProperty is Graph's refusal of a property value: "Invalid value specified for property 'type' of
// resource 'PermissionScope'." is the wording reported from Graph for a scope type; the emulator uses the
// same wording for the other documented limits, whose exact messages are not documented.
func invalidProperty(property, resource string) *graphError {
	return newError(http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Invalid value specified for property '%s' of resource '%s'.", property, resource))
}

func checkLimits(app *directory.Application) *graphError {
	if app.DisplayName != nil && utf8.RuneCountInString(*app.DisplayName) > maxDisplayNameLength {
		return invalidProperty("displayName", "Application")
	}
	if app.Description != nil && utf8.RuneCountInString(*app.Description) > maxDescriptionLength {
		return invalidProperty("description", "Application")
	}
	return nil
}

// validScopeValue applies permissionScope's documented rule for value: "Must not exceed 120 characters
// in length. Allowed characters are : ! # $ % & ' ( ) * + , - . / : ; < = > ? @ [ ] ^ + _ ` { | } ~, as
// well as characters in the ranges 0-9, A-Z and a-z. Any other character, including the space character,
// aren't allowed. May not begin with ." (Microsoft Learn, "permissionScope resource type"). An empty value
// is left to Graph's other rules.
func validScopeValue(v string) bool {
	if len(v) > maxScopeValueLength || strings.HasPrefix(v, ".") {
		return false
	}
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case strings.ContainsRune(":!#$%&'()*+,-./;<=>?@[]^_`{|}~", c):
		default:
			return false
		}
	}
	return true
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
		if !ok || directory.Deref(updated.Value) != directory.Deref(old.Value) || directory.Deref(updated.Type) != directory.Deref(old.Type) {
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

// checkIdentifierURIs validates the identifier URIs the write adds. URIs already on the application are
// kept as they are (Graph validates new values only: "Existing identifier URIs already configured on the
// app won't be affected", Microsoft Learn, "Restrictions on identifier URIs of Microsoft Entra
// applications").
func checkIdentifierURIs(in ruleInput) *graphError {
	for _, uri := range in.next.IdentifierURIs {
		if in.current != nil && directory.ContainsFold(in.current.IdentifierURIs, uri) {
			continue
		}
		if e := checkIdentifierURI(uri, in); e != nil {
			return e
		}
	}
	return nil
}

// checkIdentifierURI applies Entra's rules to one new identifier URI of a single-tenant application:
//
//   - an http or https URI must have a verified domain of the tenant, or a subdomain of one, as its host
//     (HostNameNotOnVerifiedDomain; Microsoft Learn, "Restrictions on identifier URIs", and the
//     "AppId URI in single tenant applications will require use of default scheme or verified domains"
//     breaking change);
//   - any other form, such as api://<string>, is accepted unless the tenant's default app management
//     policy enables a restriction that applies to the application (policy.go): nonDefaultUriAddition
//     then allows only api://<appId> and api://<tenantId>/<appId>, and
//     uriAdditionWithoutUniqueTenantIdentifier only URIs that contain the tenant ID, the appId or a
//     verified domain. An application that receives v2 tokens (api.requestedAccessTokenVersion 2) is
//     exempt unless the restriction sets excludeAppsReceivingV2Tokens to false.
func checkIdentifierURI(uri string, in ruleInput) *graphError {
	lower := strings.ToLower(uri)
	// A value that is not an absolute URI (no scheme) keeps the emulator's former refusal: Graph refuses
	// such values on v1 applications (MicrosoftDocs/azure-docs#82762), with a code that is not documented.
	if u, err := url.Parse(uri); err != nil || u.Scheme == "" {
		return newError(http.StatusBadRequest, CodeHostNameNotVerified, fmt.Sprintf(msgHostNameNotVerifiedF, uri))
	}
	if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		u, err := url.Parse(uri)
		if err != nil || u.Hostname() == "" || !onVerifiedDomain(u.Hostname(), in.verifiedDomains) {
			return newError(http.StatusBadRequest, CodeHostNameNotVerified, fmt.Sprintf(msgHostNameNotVerifiedF, uri))
		}
	}
	restrictions := in.policy.ApplicationRestrictions.IdentifierURIs
	if restrictions == nil {
		return nil
	}
	created := ""
	if in.next.CreatedDateTime != nil {
		created = *in.next.CreatedDateTime
	}
	v2 := in.next.API.RequestedAccessTokenVersion != nil && *in.next.API.RequestedAccessTokenVersion == 2
	applies := func(r *directory.IdentifierURIRestriction) bool {
		return r.Active(in.policy.IsEnabled, created, in.now) && (!v2 || !r.ExemptsV2())
	}
	if applies(restrictions.NonDefaultURIAddition) && !isDefaultIdentifierURI(uri, in.next.AppID, in.tenantID) {
		return newError(http.StatusBadRequest, CodeNonDefaultURIPolicy, fmt.Sprintf(MsgNonDefaultURIPolicyF, uri))
	}
	if applies(restrictions.URIAdditionWithoutUniqueTenantIdentifier) && !hasUniqueTenantIdentifier(uri, in.next.AppID, in.tenantID, in.verifiedDomains) {
		return newError(http.StatusBadRequest, CodeUniqueTenantIdentifierPolicy, fmt.Sprintf(MsgUniqueTenantIdentifierPolicyF, uri))
	}
	return nil
}

// isDefaultIdentifierURI reports whether uri is api://<appId> or api://<tenantId>/<appId>.
func isDefaultIdentifierURI(uri, appID, tenantID string) bool {
	rest, ok := cutPrefixFold(uri, "api://")
	if !ok {
		return false
	}
	if strings.EqualFold(rest, appID) {
		return true
	}
	t, a, ok := strings.Cut(rest, "/")
	return ok && strings.EqualFold(t, tenantID) && strings.EqualFold(a, appID)
}

// hasUniqueTenantIdentifier reports whether uri has one of the forms identifierUriConfiguration lists for
// uriAdditionWithoutUniqueTenantIdentifier: api://{tenantId}/string, api://{appId}[/string],
// {scheme}://string/{tenantId}, {scheme}://string/{appId}, a verified domain (or a subdomain of one) as
// the host, and api://<string>/<appId> from "Restrictions on identifier URIs".
func hasUniqueTenantIdentifier(uri, appID, tenantID string, verifiedDomains []string) bool {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, "/")
	segments := strings.Split(rest, "/")
	host := segments[0]
	if strings.EqualFold(host, appID) || (strings.EqualFold(host, tenantID) && len(segments) > 1) {
		return true
	}
	if len(segments) > 1 {
		last := segments[len(segments)-1]
		if strings.EqualFold(last, appID) || strings.EqualFold(last, tenantID) {
			return true
		}
	}
	if h, _, _ := strings.Cut(host, ":"); onVerifiedDomain(h, verifiedDomains) {
		return true
	}
	return false
}

// onVerifiedDomain reports whether host is a verified domain of the tenant or a subdomain of one.
func onVerifiedDomain(host string, verifiedDomains []string) bool {
	host = strings.ToLower(host)
	for _, d := range verifiedDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d != "" && (host == d || strings.HasSuffix(host, "."+d)) {
			return true
		}
	}
	return false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
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
