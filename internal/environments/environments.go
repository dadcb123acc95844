// Package environments holds the LKPS environment table: every URL, token scope, audience, tenant and
// portal link the two LKPS guides document, for each environment (nonprod, prod) and region (eu, us).
//
// It is pure data with no network access, shared by the provider (defaults and data sources) and the
// emulator (one Ocelot route per entry). Nothing else in the module may spell these values.
package environments

import (
	"fmt"
	"sort"
	"strings"
)

// Environment names an LKPS deployment stage.
type Environment string

// Region names an isolated LKPS deployment. An agent registered in one region exists only there.
type Region string

const (
	// NonProd is the non-production stage, where development and testing happen.
	NonProd Environment = "nonprod"
	// Prod is the production stage.
	Prod Environment = "prod"

	// EU is the European deployment.
	EU Region = "eu"
	// US is the United States deployment.
	US Region = "us"

	// DefaultEnvironment is used when neither configuration nor environment variable names one.
	DefaultEnvironment = NonProd
	// DefaultRegion is used when neither configuration nor environment variable names one.
	DefaultRegion = EU

	// BayerTenantID is the Entra ID tenant every LKPS caller authenticates in.
	BayerTenantID = "fcb2b37b-5da0-466b-9b83-0014b67a7c78"
	// PublicAuthorityHost is the Entra ID authority of the public cloud.
	PublicAuthorityHost = "https://login.microsoftonline.com"
	// PublicGraphBaseURL is the Microsoft Graph endpoint of the public cloud (without the version segment).
	PublicGraphBaseURL = "https://graph.microsoft.com"
	// GraphScope is the token scope for Microsoft Graph with the application's granted permissions.
	GraphScope = "https://graph.microsoft.com/.default"

	// ClientScopeValue is the delegated scope LKPS looks for on an agent application.
	ClientScopeValue = "access_as_client"
	// ClientScopeAdminConsentDisplayName is the seed's value for the scope's admin consent display name.
	ClientScopeAdminConsentDisplayName = "Access as client application"
	// ClientScopeAdminConsentDescription is the seed's value for the scope's admin consent description.
	ClientScopeAdminConsentDescription = "Allows the client application to access this agent via the LiveKit Platform Service."
)

// Environments lists the valid environment names in display order.
func Environments() []Environment { return []Environment{NonProd, Prod} }

// Regions lists the valid region names in display order.
func Regions() []Region { return []Region{EU, US} }

// EnvironmentNames returns the valid environment names as strings, for validators and messages.
func EnvironmentNames() []string { return []string{string(NonProd), string(Prod)} }

// RegionNames returns the valid region names as strings, for validators and messages.
func RegionNames() []string { return []string{string(EU), string(US)} }

// Entry is everything known about one environment and region.
type Entry struct {
	Environment Environment
	Region      Region

	// LKPSHost is the host name of the LKPS Ocelot route, e.g. "eu-livekit-platform-service-np.int.bayer.com".
	LKPSHost string
	// LKPSBaseURL is the LKPS base URL through Ocelot, "https://" + LKPSHost.
	LKPSBaseURL string
	// LKPSAudience is the audience of LKPS tokens, e.g. "api://livekit-platform-service-np.int.bayer.com".
	LKPSAudience string
	// LKPSScope is the client-credentials scope for LKPS tokens: LKPSAudience + "/.default".
	LKPSScope string
	// LiveKitURL is the LiveKit SFU URL that LKPS returns as livekit_url.
	LiveKitURL string

	// TenantID is the Entra ID tenant.
	TenantID string
	// AuthorityHost is the Entra ID authority host.
	AuthorityHost string
	// TokenEndpoint is the v2 token endpoint of the tenant (client credentials flow).
	TokenEndpoint string
	// GraphBaseURL is the Microsoft Graph endpoint, without the version segment.
	GraphBaseURL string

	// OcelotUIURL is the Ocelot UI of the environment, e.g. "https://devtools-np.bayer.com/ocelot".
	OcelotUIURL string
	// OcelotRouteURL is the Ocelot page of this entry's LKPS route, where access is requested.
	OcelotRouteURL string
	// OcelotAccessURL is the DevTools page for joining the Ocelot Users group of the environment.
	OcelotAccessURL string
}

// Key returns "<environment>/<region>", the entry's unique name.
func (e Entry) Key() string { return string(e.Environment) + "/" + string(e.Region) }

type stage struct {
	hostSuffix   string // "-np" or ""
	devtoolsHost string
}

var stages = map[Environment]stage{
	NonProd: {hostSuffix: "-np", devtoolsHost: "devtools-np.bayer.com"},
	Prod:    {hostSuffix: "", devtoolsHost: "devtools.bayer.com"},
}

func build(env Environment, region Region) Entry {
	st := stages[env]
	host := fmt.Sprintf("%s-livekit-platform-service%s.int.bayer.com", region, st.hostSuffix)
	audience := fmt.Sprintf("api://livekit-platform-service%s.int.bayer.com", st.hostSuffix)
	ocelotUI := "https://" + st.devtoolsHost + "/ocelot"
	return Entry{
		Environment:     env,
		Region:          region,
		LKPSHost:        host,
		LKPSBaseURL:     "https://" + host,
		LKPSAudience:    audience,
		LKPSScope:       audience + "/.default",
		LiveKitURL:      fmt.Sprintf("https://%s.livekit%s.int.bayer.com", region, st.hostSuffix),
		TenantID:        BayerTenantID,
		AuthorityHost:   PublicAuthorityHost,
		TokenEndpoint:   TokenEndpoint(PublicAuthorityHost, BayerTenantID),
		GraphBaseURL:    PublicGraphBaseURL,
		OcelotUIURL:     ocelotUI,
		OcelotRouteURL:  ocelotUI + "?route=" + host,
		OcelotAccessURL: "https://" + st.devtoolsHost + "/profile/applications/OCELOT",
	}
}

// TokenEndpoint returns the v2 token endpoint of tenant at authorityHost.
func TokenEndpoint(authorityHost, tenantID string) string {
	return strings.TrimRight(authorityHost, "/") + "/" + tenantID + "/oauth2/v2.0/token"
}

// Lookup returns the entry for env and region, or an error that lists the valid values.
func Lookup(env Environment, region Region) (Entry, error) {
	if _, ok := stages[env]; !ok {
		return Entry{}, fmt.Errorf("unknown LKPS environment %q: expected one of %s", env, strings.Join(EnvironmentNames(), ", "))
	}
	switch region {
	case EU, US:
	default:
		return Entry{}, fmt.Errorf("unknown LKPS region %q: expected one of %s", region, strings.Join(RegionNames(), ", "))
	}
	return build(env, region), nil
}

// MustLookup is Lookup for values known to be valid; it panics otherwise.
func MustLookup(env Environment, region Region) Entry {
	e, err := Lookup(env, region)
	if err != nil {
		panic(err)
	}
	return e
}

// All returns every entry, ordered by environment (nonprod first) then region (eu first).
func All() []Entry {
	var out []Entry
	for _, env := range Environments() {
		for _, r := range Regions() {
			out = append(out, build(env, r))
		}
	}
	return out
}

// ByLKPSHost returns the entry whose LKPS route host is host (case-insensitive, port ignored).
func ByLKPSHost(host string) (Entry, bool) {
	host = strings.ToLower(host)
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	for _, e := range All() {
		if e.LKPSHost == host {
			return e, true
		}
	}
	return Entry{}, false
}

// ByAudience returns the environment whose LKPS audience is aud (with or without a trailing "/.default").
func ByAudience(aud string) (Environment, bool) {
	aud = strings.TrimSuffix(aud, "/.default")
	envs := make([]Environment, 0, len(stages))
	for env := range stages {
		envs = append(envs, env)
	}
	sort.Slice(envs, func(i, j int) bool { return envs[i] < envs[j] })
	for _, env := range envs {
		if build(env, EU).LKPSAudience == aud {
			return env, true
		}
	}
	return "", false
}
