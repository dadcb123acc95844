package environments

import (
	"fmt"
	"net/url"
	"strings"
)

// Names of the environment variables that select and override LKPS endpoints. They are read by the
// provider and written by the emulator's command, so both spell them from here.
const (
	EnvEnvironment    = "LKPS_ENVIRONMENT"
	EnvRegion         = "LKPS_REGION"
	EnvLKPSBaseURL    = "LKPS_BASE_URL"
	EnvGraphBaseURL   = "LKPS_GRAPH_BASE_URL"
	EnvAuthorityHost  = "LKPS_AUTHORITY_HOST"
	EnvLKPSTokenScope = "LKPS_TOKEN_SCOPE"
)

// Overrides are the user's choices of environment, region and endpoints; empty fields take defaults.
type Overrides struct {
	Environment   string
	Region        string
	LKPSBaseURL   string
	GraphBaseURL  string
	AuthorityHost string
	LKPSScope     string
	TenantID      string
}

// FieldError is a resolution error that names the offending setting, so callers can attach it to the
// right attribute or variable.
type FieldError struct {
	// Field is the Overrides field at fault: "Environment", "Region", "LKPSBaseURL", "GraphBaseURL",
	// "AuthorityHost" or "LKPSScope".
	Field string
	// Message says what is wrong and what is expected.
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// Resolve returns the entry for the chosen environment and region with the overrides applied.
//
// It refuses to mix environments silently: an LKPS base URL that is the documented URL of another
// environment or region, or a token scope that is the documented scope of the other environment, is an
// error. Custom URLs and scopes (a proxy, a sovereign setup, the local emulator) are accepted as given.
func Resolve(o Overrides) (Entry, error) {
	env := Environment(strings.ToLower(strings.TrimSpace(o.Environment)))
	if env == "" {
		env = DefaultEnvironment
	}
	region := Region(strings.ToLower(strings.TrimSpace(o.Region)))
	if region == "" {
		region = DefaultRegion
	}
	if _, ok := stages[env]; !ok {
		return Entry{}, &FieldError{Field: "Environment", Message: fmt.Sprintf("unknown LKPS environment %q: expected one of %s", o.Environment, strings.Join(EnvironmentNames(), ", "))}
	}
	if region != EU && region != US {
		return Entry{}, &FieldError{Field: "Region", Message: fmt.Sprintf("unknown LKPS region %q: expected one of %s", o.Region, strings.Join(RegionNames(), ", "))}
	}
	e := build(env, region)

	if o.TenantID != "" {
		e.TenantID = o.TenantID
	}
	if o.AuthorityHost != "" {
		u, err := parseHTTPS(o.AuthorityHost)
		if err != nil {
			return Entry{}, &FieldError{Field: "AuthorityHost", Message: "the Entra ID authority host " + err.Error()}
		}
		e.AuthorityHost = u
	}
	e.TokenEndpoint = TokenEndpoint(e.AuthorityHost, e.TenantID)
	if o.GraphBaseURL != "" {
		u, err := parseHTTPS(o.GraphBaseURL)
		if err != nil {
			return Entry{}, &FieldError{Field: "GraphBaseURL", Message: "the Microsoft Graph base URL " + err.Error()}
		}
		e.GraphBaseURL = strings.TrimSuffix(u, "/v1.0")
	}
	if o.LKPSBaseURL != "" {
		u, err := parseHTTPS(o.LKPSBaseURL)
		if err != nil {
			return Entry{}, &FieldError{Field: "LKPSBaseURL", Message: "the LKPS base URL " + err.Error()}
		}
		parsed, _ := url.Parse(u)
		if other, ok := ByLKPSHost(parsed.Host); ok && other.Key() != e.Key() {
			return Entry{}, &FieldError{Field: "LKPSBaseURL", Message: fmt.Sprintf(
				"the LKPS base URL %s is the documented URL of %s, but the provider is configured for %s: set environment and region to match, or remove the override",
				u, other.Key(), e.Key())}
		}
		e.LKPSBaseURL = u
	}
	if o.LKPSScope != "" {
		scope := strings.TrimSpace(o.LKPSScope)
		if !strings.HasSuffix(scope, "/.default") {
			return Entry{}, &FieldError{Field: "LKPSScope", Message: fmt.Sprintf("the LKPS token scope %q must end in /.default (client credentials flow), e.g. %s", scope, e.LKPSScope)}
		}
		if other, ok := ByAudience(scope); ok && other != env {
			return Entry{}, &FieldError{Field: "LKPSScope", Message: fmt.Sprintf(
				"the LKPS token scope %s belongs to the %s environment, but the provider is configured for %s: tokens for it would be refused by the %s gateway (401)",
				scope, other, env, env)}
		}
		e.LKPSScope = scope
		e.LKPSAudience = strings.TrimSuffix(scope, "/.default")
	}
	return e, nil
}

// parseHTTPS checks that s is an absolute https URL without query or fragment and returns it without a
// trailing slash.
func parseHTTPS(s string) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL: expected the form https://host[:port][/path]", s)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("%q must use https: Entra ID tokens are never sent over plain http", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q must not contain a query or fragment", s)
	}
	return strings.TrimRight(s, "/"), nil
}
