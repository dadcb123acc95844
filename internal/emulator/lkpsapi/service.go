// Package lkpsapi is the emulator's Ocelot gateway and the LiveKit Platform Service (LKPS) behind it.
//
// Every entry of environments.All() is one Ocelot route, served at /lkps/{environment}/{region}/. The
// gateway validates the caller's Entra ID token (signature, expiry, issuer and the environment's LKPS
// audience), checks its appid against the route's Client Access List, removes any identity headers the
// caller sent and injects user-id, client-id, x-bayer-user and user-profile from the token's claims, as the
// Ocelot Access Setup guide describes. LKPS then trusts only those headers: it registers agents (an upsert
// keyed by client-id, audited), starts sessions after the client-to-agent authorization decision of
// DESIGN.md, and reports its health. Registrations, access lists and audit records are kept per route, so
// the EU and US deployments of an environment are isolated like the real ones.
package lkpsapi

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const (
	// PathPrefix is the path under which the routes are served: PathPrefix + "{environment}/{region}/...".
	PathPrefix = "/lkps/"

	defaultSessionTokenLifetime = time.Hour
	// maxAuditRecords bounds the audit log; the oldest records are dropped first, a tenth at a time.
	maxAuditRecords = 10000
)

// Scope is one delegated permission scope an agent application exposes (api.oauth2PermissionScopes).
type Scope struct {
	ID      string
	Value   string
	Enabled bool
}

// PreAuthorized is one pre-authorized client application of an agent (api.preAuthorizedApplications).
type PreAuthorized struct {
	AppID         string
	PermissionIDs []string
}

// AgentAPI is the part of an agent application LKPS reads: its exposed scopes and pre-authorized clients.
type AgentAPI struct {
	Scopes        []Scope
	PreAuthorized []PreAuthorized
}

// AgentDirectory reads an agent application's api block, as LKPS does with
// GET /v1.0/applications(appId='{agent}')?$select=api; ok is false when the application does not exist.
// Implementations read through the same replica semantics as any Graph read and must be safe for
// concurrent use.
type AgentDirectory interface {
	AgentAPI(appID string) (AgentAPI, bool)
}

// Verifier validates Entra ID access tokens; *entra.Service implements it.
type Verifier interface {
	Verify(raw string, audiences ...string) (entra.Claims, error)
}

// Registration is one row of LKPS's registration table.
type Registration struct {
	AgentAppID         string
	EnforceClientAuthz bool
	RegisteredAt       time.Time
	UpdatedAt          time.Time
}

// AuditRecord records one LKPS API call that changed or used a registration.
type AuditRecord struct {
	Time     time.Time
	Route    string // route key, e.g. "nonprod/eu"
	Method   string
	Path     string // path as LKPS sees it, e.g. "/api/agent/register"
	ClientID string // the client-id header Ocelot injected
	Status   int
	Detail   string
}

// State is the persistent state of all routes. Map keys are route keys ("nonprod/eu").
type State struct {
	// AccessLists are the Client Access Lists: application IDs allowed through each route.
	AccessLists map[string][]string
	// Registrations are the registration tables, sorted by agent application ID.
	Registrations map[string][]Registration
	// Audit is the audit log in call order.
	Audit []AuditRecord
}

// Config configures a Service.
type Config struct {
	// Verifier validates the tokens the gateway receives. Required.
	Verifier Verifier
	// Directory reads agent applications for the authorization decision. Required.
	Directory AgentDirectory
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SessionTokenLifetime is the lifetime of agent and session tokens; zero or negative means one hour.
	SessionTokenLifetime time.Duration
	// Initial is the state to start from.
	Initial State
}

// Service is the gateway and LKPS for every route. It is safe for concurrent use.
type Service struct {
	verifier Verifier
	dir      AgentDirectory
	now      func() time.Time
	lifetime time.Duration
	// liveKitSecret signs the LiveKit-style agent and session tokens (HS256, as LiveKit API keys do).
	liveKitSecret []byte
	// downstream is LKPS as the gateway reaches it; tests inside the package replace it to observe
	// exactly what the gateway forwards.
	downstream func(http.ResponseWriter, *http.Request, environments.Entry)

	mu            sync.Mutex
	accessLists   map[string][]string
	registrations map[string]map[string]Registration // route key → lower-case agent app ID → row
	audit         []AuditRecord
	// registerAnswer varies the register answer; proxy, when set, answers in front of Ocelot (answers.go).
	registerAnswer RegisterAnswer
	proxy          *ProxyPage
}

// New builds a Service. It panics when cfg has no Verifier or Directory, which is a programming error.
func New(cfg Config) *Service {
	if cfg.Verifier == nil || cfg.Directory == nil {
		panic("lkpsapi.New: Config.Verifier and Config.Directory are required")
	}
	s := &Service{
		verifier: cfg.Verifier,
		dir:      cfg.Directory,
		now:      cfg.Now,
		lifetime: cfg.SessionTokenLifetime,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lifetime <= 0 {
		s.lifetime = defaultSessionTokenLifetime
	}
	s.liveKitSecret = make([]byte, 32)
	if _, err := rand.Read(s.liveKitSecret); err != nil {
		panic(fmt.Sprintf("lkpsapi.New: crypto/rand failed: %v", err)) // never fails on supported platforms
	}
	s.downstream = s.serveLKPS
	s.Restore(cfg.Initial)
	return s
}

// State returns a deep copy of the current state.
func (s *Service) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{
		AccessLists:   make(map[string][]string, len(s.accessLists)),
		Registrations: make(map[string][]Registration, len(s.registrations)),
		Audit:         slices.Clone(s.audit),
	}
	for k, v := range s.accessLists {
		st.AccessLists[k] = slices.Clone(v)
	}
	for k, rows := range s.registrations {
		list := make([]Registration, 0, len(rows))
		for _, r := range rows {
			list = append(list, r)
		}
		slices.SortFunc(list, func(a, b Registration) int {
			return strings.Compare(strings.ToLower(a.AgentAppID), strings.ToLower(b.AgentAppID))
		})
		st.Registrations[k] = list
	}
	return st
}

// Restore replaces the whole state with a copy of st. Entries for route keys the environment table does
// not know are kept (and returned by State) but never served, so restoring a file loses nothing.
func (s *Service) Restore(st State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessLists = make(map[string][]string, len(st.AccessLists))
	for k, v := range st.AccessLists {
		s.accessLists[k] = normalizeIDs(v)
	}
	s.registrations = make(map[string]map[string]Registration, len(st.Registrations))
	for k, rows := range st.Registrations {
		m := make(map[string]Registration, len(rows))
		for _, r := range rows {
			m[strings.ToLower(r.AgentAppID)] = r
		}
		s.registrations[k] = m
	}
	s.audit = slices.Clone(st.Audit)
	if n := len(s.audit) - maxAuditRecords; n > 0 {
		s.audit = slices.Clone(s.audit[n:])
	}
}

// SetAccessList replaces the Client Access List of the route named by routeKey ("nonprod/eu") with
// appIDs, which must be application (client) IDs in GUID form.
func (s *Service) SetAccessList(routeKey string, appIDs []string) error {
	if _, ok := routeByKey(routeKey); !ok {
		return fmt.Errorf("setting access list: unknown route %q: expected <environment>/<region> with environment one of %s and region one of %s",
			routeKey, strings.Join(environments.EnvironmentNames(), ", "), strings.Join(environments.RegionNames(), ", "))
	}
	for _, id := range appIDs {
		if !directory.IsGUID(id) {
			return fmt.Errorf("setting access list of route %s: %q is not an application (client) ID", routeKey, id)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessLists[routeKey] = normalizeIDs(appIDs)
	return nil
}

// normalizeIDs lower-cases, sorts and de-duplicates application IDs.
func normalizeIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, strings.ToLower(strings.TrimSpace(id)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// routeByKey returns the environment entry of a route key.
func routeByKey(key string) (environments.Entry, bool) {
	env, region, ok := strings.Cut(key, "/")
	if !ok {
		return environments.Entry{}, false
	}
	e, err := environments.Lookup(environments.Environment(env), environments.Region(region))
	return e, err == nil
}

// Handler serves every route under /lkps/{environment}/{region}/.
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveGateway) }
