// Package entra is the emulator's Microsoft Entra ID token service: OIDC discovery and JWKS for one
// tenant, the v2 token endpoint for the client credentials flow (client secret, certificate assertion and
// federated assertion), token verification for the emulator's resource servers, and test OIDC issuers
// (GitHub Actions and Kubernetes style) whose tokens federated credentials can trust.
//
// It is as strict as Entra ID where a client could otherwise pass here and fail there: exactly one
// "<resource>/.default" scope, registered resources only, signature, audience, subject and lifetime of
// every client assertion, and Entra's error shape and AADSTS codes. azidentity works against it unchanged.
package entra

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint of the certificate (RFC 7517 §4.8).
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const (
	// GraphAppID is the application ID of Microsoft Graph, accepted as a resource name like its URL.
	GraphAppID = "00000003-0000-0000-c000-000000000000"
	// FederatedAudience is the audience Entra ID expects in federated assertions by default.
	FederatedAudience = "api://AzureADTokenExchange"

	assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	defaultTokenLifetime   = time.Hour
	signingKeyBits         = 2048
	verifyCacheSize        = 4096
)

// FederatedCredential is one federated identity credential of an application: an external token is
// accepted as the application's credential when its iss, sub and one aud match exactly (case-sensitive).
type FederatedCredential struct {
	Issuer    string
	Subject   string
	Audiences []string
}

// Client is what the token service needs to know about an application and its service principal.
type Client struct {
	AppID              string
	ServicePrincipalID string
	DisplayName        string
	// Secrets are the plaintext values of the application's client secrets.
	Secrets []string
	// Certificates are the application's registered certificates; a client assertion is accepted when
	// its x5t or x5t#S256 header names one of them and its signature verifies with that certificate's key.
	Certificates []*x509.Certificate
	// Federated are the application's federated identity credentials.
	Federated []FederatedCredential
	// GraphRoles are the app roles granted to the service principal on Microsoft Graph, e.g.
	// "Application.ReadWrite.All"; they appear in the "roles" claim of Graph tokens only.
	GraphRoles []string
	// NoServicePrincipal marks an application without a service principal in the tenant (created
	// through Graph, its service principal not created yet or deleted): the token endpoint refuses it
	// with AADSTS7000229.
	NoServicePrincipal bool
}

// Directory looks applications up by application (client) ID. Implementations must be safe for
// concurrent use.
type Directory interface {
	Client(appID string) (Client, bool)
}

// Config configures a Service.
type Config struct {
	// TenantID is the tenant the service issues tokens for.
	TenantID string
	// BaseURL returns the emulator's base URL, e.g. "https://127.0.0.1:4443"; it is called per request
	// so a listener may pick its port after the service is built.
	BaseURL func() string
	// Directory supplies the applications that may request tokens.
	Directory Directory
	// Resources reports whether a resource (a scope without "/.default") is accepted as a token
	// audience besides Microsoft Graph and the LKPS audiences. It may be nil.
	Resources func(resource string) bool
	// SigningKey signs access tokens; nil generates a 2048-bit key.
	SigningKey *rsa.PrivateKey
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// TokenLifetime is the lifetime of issued access tokens; 0 means one hour.
	TokenLifetime time.Duration
	// Issuers are the test OIDC issuers served under /oidc/{name}. Nil means DefaultIssuers(); an empty,
	// non-nil slice serves none.
	Issuers []OIDCIssuer
}

// Claims are the claims of an access token, as Verify returns them and MintClaims accepts them.
type Claims struct {
	Audience        string
	Issuer          string
	TenantID        string
	AppID           string
	AuthorizedParty string
	ObjectID        string
	Version         string
	Roles           []string
	// Scopes is the scp claim of a delegated (user) token: space-separated delegated permissions. App-only
	// tokens have none, which is how Microsoft Graph tells the two apart.
	Scopes string
	// DirectoryRoles are the directory role template IDs of a user (the wids claim).
	DirectoryRoles []string
	// Name, Email, GivenName and FamilyName are user claims; app-only tokens do not carry them.
	Name       string
	Email      string
	GivenName  string
	FamilyName string
	IssuedAt   time.Time
	NotBefore  time.Time
	Expiry     time.Time
}

// Service is the token service. It is safe for concurrent use.
type Service struct {
	cfg      Config
	key      *rsa.PrivateKey
	cert     *x509.Certificate
	kid      string // base64url SHA-1 thumbprint of cert, used as both kid and x5t like Entra ID does
	lifetime time.Duration

	issuers     map[string]*oidcIssuer
	issuerNames []string

	cacheMu sync.Mutex
	cache   map[string]Claims // raw token → claims of a token whose signature verified
}

// New validates cfg and builds a Service, generating a signing key when cfg has none.
func New(cfg Config) (*Service, error) {
	if !directory.IsGUID(cfg.TenantID) {
		return nil, fmt.Errorf("entra: tenant ID %q is not a GUID", cfg.TenantID)
	}
	if cfg.BaseURL == nil {
		return nil, errors.New("entra: BaseURL is required")
	}
	if cfg.Directory == nil {
		return nil, errors.New("entra: Directory is required")
	}
	if cfg.TokenLifetime < 0 {
		return nil, fmt.Errorf("entra: negative token lifetime %s", cfg.TokenLifetime)
	}
	s := &Service{cfg: cfg, key: cfg.SigningKey, lifetime: cfg.TokenLifetime, cache: map[string]Claims{}}
	if s.lifetime == 0 {
		s.lifetime = defaultTokenLifetime
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if s.key == nil {
		key, err := rsa.GenerateKey(rand.Reader, signingKeyBits)
		if err != nil {
			return nil, fmt.Errorf("entra: generating signing key: %w", err)
		}
		s.key = key
	}
	cert, err := signingCertificate(s.key, s.cfg.Now())
	if err != nil {
		return nil, fmt.Errorf("entra: %w", err)
	}
	s.cert = cert
	sum := sha1.Sum(cert.Raw) //nolint:gosec // see the import comment
	s.kid = base64.RawURLEncoding.EncodeToString(sum[:])

	issuers := cfg.Issuers
	if issuers == nil {
		issuers = DefaultIssuers()
	}
	s.issuers = make(map[string]*oidcIssuer, len(issuers))
	for _, ic := range issuers {
		iss, err := newOIDCIssuer(ic)
		if err != nil {
			return nil, fmt.Errorf("entra: %w", err)
		}
		if _, dup := s.issuers[ic.Name]; dup {
			return nil, fmt.Errorf("entra: OIDC issuer %q configured twice", ic.Name)
		}
		s.issuers[ic.Name] = iss
		s.issuerNames = append(s.issuerNames, ic.Name)
	}
	return s, nil
}

// signingCertificate wraps key in a self-signed certificate, which gives the JWKS entry its x5c and x5t.
func signingCertificate(key *rsa.PrivateKey, now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("generating certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "lkps-emulator token signing"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating token signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing token signing certificate: %w", err)
	}
	return cert, nil
}

// SigningKey returns the key that signs access tokens (for persisting it across restarts).
func (s *Service) SigningKey() *rsa.PrivateKey { return s.key }

// TenantID returns the tenant the service issues tokens for.
func (s *Service) TenantID() string { return s.cfg.TenantID }

// Issuer returns the "iss" claim of access tokens: "<base>/{tenant}/v2.0".
func (s *Service) Issuer() string { return s.baseURL() + "/" + s.cfg.TenantID + "/v2.0" }

// TokenEndpoint returns the v2 token endpoint URL of the tenant.
func (s *Service) TokenEndpoint() string {
	return environments.TokenEndpoint(s.baseURL(), s.cfg.TenantID)
}

// GraphAudiences returns every audience a Microsoft Graph token may carry: Graph's public URL with and
// without a trailing slash, its application ID, and the emulator's Graph base URL with and without one.
func (s *Service) GraphAudiences() []string {
	graph := s.baseURL() + "/graph"
	return []string{
		environments.PublicGraphBaseURL, environments.PublicGraphBaseURL + "/", GraphAppID, graph, graph + "/",
	}
}

// IsGraphAudience reports whether aud names Microsoft Graph.
func (s *Service) IsGraphAudience(aud string) bool {
	for _, g := range s.GraphAudiences() {
		if aud == g || (g == GraphAppID && strings.EqualFold(aud, g)) {
			return true
		}
	}
	return false
}

// LKPSAudiences returns the distinct LKPS audiences of all environments.
func LKPSAudiences() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range environments.All() {
		if !seen[e.LKPSAudience] {
			seen[e.LKPSAudience] = true
			out = append(out, e.LKPSAudience)
		}
	}
	return out
}

// acceptsResource reports whether a token may be issued for resource.
func (s *Service) acceptsResource(resource string) bool {
	if s.IsGraphAudience(resource) {
		return true
	}
	for _, aud := range LKPSAudiences() {
		if resource == aud {
			return true
		}
	}
	return s.cfg.Resources != nil && s.cfg.Resources(resource)
}

func (s *Service) baseURL() string { return strings.TrimRight(s.cfg.BaseURL(), "/") }

// Handler serves the token service paths (/{tenant}/v2.0/.well-known/openid-configuration,
// /{tenant}/discovery/v2.0/keys, /{tenant}/oauth2/v2.0/token, their /common and /organizations forms)
// and the test OIDC issuers under /oidc/{name}/.
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	first, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if first == "oidc" {
		s.serveIssuer(w, r, rest)
		return
	}
	tenant := first
	switch rest {
	case "v2.0/.well-known/openid-configuration", "discovery/v2.0/keys", "discovery/keys", "oauth2/v2.0/token":
	default:
		http.NotFound(w, r)
		return
	}
	multi := strings.EqualFold(tenant, "common") || strings.EqualFold(tenant, "organizations")
	if !multi && !strings.EqualFold(tenant, s.cfg.TenantID) {
		e := errTenantNotFound(tenant)
		if rest != "oauth2/v2.0/token" {
			e.code = "invalid_tenant" // discovery documents report the tenant error under this name
		}
		e.write(w, r, s.cfg.Now(), s.baseURL())
		return
	}
	if rest == "oauth2/v2.0/token" {
		s.serveToken(w, r, tenant, multi)
		return
	}
	if !AllowGetOrHead(w, r) {
		return
	}
	if rest == "v2.0/.well-known/openid-configuration" {
		s.serveDiscovery(w, tenant, multi)
		return
	}
	s.serveKeys(w)
}

func (s *Service) serveDiscovery(w http.ResponseWriter, tenant string, multi bool) {
	base := s.baseURL()
	issuer := s.Issuer()
	if multi {
		issuer = base + "/{tenantid}/v2.0"
	}
	t := base + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                t + "/oauth2/v2.0/authorize",
		"token_endpoint":                        t + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         t + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  t + "/oauth2/v2.0/logout",
		"jwks_uri":                              t + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"claims_supported": []string{
			"sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "azp", "appid", "roles", "scp", "wids", "ver", "idtyp", "uti",
		},
		"request_uri_parameter_supported": false,
		"tenant_region_scope":             "EU",
		"cloud_instance_name":             strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://"),
		"cloud_graph_host_name":           strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://"),
		"msgraph_host":                    strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://") + "/graph",
	})
}

func (s *Service) serveKeys(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{map[string]any{
		"kty":    "RSA",
		"use":    "sig",
		"kid":    s.kid,
		"x5t":    s.kid,
		"n":      base64.RawURLEncoding.EncodeToString(s.key.N.Bytes()),
		"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(s.key.E)).Bytes()),
		"x5c":    []string{base64.StdEncoding.EncodeToString(s.cert.Raw)},
		"issuer": s.Issuer(),
	}}})
}

// tokenClaims is the payload of an access token, in Entra ID's v2 claim names and order.
type tokenClaims struct {
	Aud        string   `json:"aud"`
	Iss        string   `json:"iss"`
	Iat        int64    `json:"iat"`
	Nbf        int64    `json:"nbf"`
	Exp        int64    `json:"exp"`
	AppID      string   `json:"appid,omitempty"`
	AppIDACR   string   `json:"appidacr,omitempty"`
	Azp        string   `json:"azp,omitempty"`
	AzpACR     string   `json:"azpacr,omitempty"`
	Email      string   `json:"email,omitempty"`
	FamilyName string   `json:"family_name,omitempty"`
	GivenName  string   `json:"given_name,omitempty"`
	Idp        string   `json:"idp,omitempty"`
	Idtyp      string   `json:"idtyp,omitempty"`
	Name       string   `json:"name,omitempty"`
	Oid        string   `json:"oid,omitempty"`
	Roles      []string `json:"roles,omitempty"`
	Scp        string   `json:"scp,omitempty"`
	Wids       []string `json:"wids,omitempty"`
	Sub        string   `json:"sub,omitempty"`
	Tid        string   `json:"tid"`
	Uti        string   `json:"uti"`
	Ver        string   `json:"ver"`
}

// sign signs claims with the service key, with Entra ID's kid and x5t headers.
func (s *Service) sign(c tokenClaims) (string, error) {
	return signJWT(s.key, map[string]any{"kid": s.kid, "x5t": s.kid}, c)
}

// appToken builds the claims of an app-only access token for client and audience.
func (s *Service) appToken(client Client, audience, acr string, iat, exp time.Time) tokenClaims {
	c := tokenClaims{
		Aud:      audience,
		Iss:      s.Issuer(),
		Iat:      iat.Unix(),
		Nbf:      iat.Unix(),
		Exp:      exp.Unix(),
		AppID:    client.AppID,
		AppIDACR: acr,
		Azp:      client.AppID,
		AzpACR:   acr,
		Idp:      "https://sts.windows.net/" + s.cfg.TenantID + "/",
		Idtyp:    "app",
		Oid:      client.ServicePrincipalID,
		Sub:      client.ServicePrincipalID,
		Tid:      s.cfg.TenantID,
		Uti:      newUTI(),
		Ver:      "2.0",
	}
	if s.IsGraphAudience(audience) && len(client.GraphRoles) > 0 {
		c.Roles = append([]string(nil), client.GraphRoles...)
	}
	return c
}

// Mint issues an access token for appID and audience without a token request, as the token endpoint
// would after a client-secret authentication. The audience is not checked against the accepted
// resources, so tests can mint tokens for foreign audiences. lifetime 0 means the configured lifetime; a
// negative lifetime yields a token that expired that long ago.
func (s *Service) Mint(appID, audience string, lifetime time.Duration) (string, error) {
	client, ok := s.cfg.Directory.Client(appID)
	if !ok {
		return "", fmt.Errorf("minting token: application %q is not in the directory", appID)
	}
	if audience == "" {
		return "", errors.New("minting token: audience is empty")
	}
	now := s.cfg.Now()
	iat, exp := s.validity(now, lifetime)
	tok, err := s.sign(s.appToken(client, audience, "1", iat, exp))
	if err != nil {
		return "", fmt.Errorf("minting token for %s: %w", appID, err)
	}
	return tok, nil
}

// MintClaims signs an access token with arbitrary claims, for tests that need tokens the token endpoint
// never issues (user tokens with name and email, other issuers or tenants). Empty Issuer, TenantID and
// Version default to this service's values; zero times default to now and the configured lifetime.
func (s *Service) MintClaims(c Claims) (string, error) {
	now := s.cfg.Now()
	if c.Issuer == "" {
		c.Issuer = s.Issuer()
	}
	if c.TenantID == "" {
		c.TenantID = s.cfg.TenantID
	}
	if c.Version == "" {
		c.Version = "2.0"
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	if c.NotBefore.IsZero() {
		c.NotBefore = c.IssuedAt
	}
	if c.Expiry.IsZero() {
		c.Expiry = c.IssuedAt.Add(s.lifetime)
	}
	idtyp := ""
	if c.Scopes != "" {
		idtyp = "user"
	}
	tok, err := s.sign(tokenClaims{
		Aud: c.Audience, Iss: c.Issuer, Iat: c.IssuedAt.Unix(), Nbf: c.NotBefore.Unix(), Exp: c.Expiry.Unix(),
		AppID: c.AppID, Azp: c.AuthorizedParty, Email: c.Email, FamilyName: c.FamilyName, GivenName: c.GivenName,
		Idtyp: idtyp, Name: c.Name, Oid: c.ObjectID, Roles: c.Roles, Scp: c.Scopes, Wids: c.DirectoryRoles,
		Sub: c.ObjectID, Tid: c.TenantID, Uti: newUTI(), Ver: c.Version,
	})
	if err != nil {
		return "", fmt.Errorf("minting token with custom claims: %w", err)
	}
	return tok, nil
}

// validity returns issue and expiry times for a token of lifetime issued at now (see Mint).
func (s *Service) validity(now time.Time, lifetime time.Duration) (iat, exp time.Time) {
	switch {
	case lifetime == 0:
		return now, now.Add(s.lifetime)
	case lifetime < 0:
		exp = now.Add(lifetime)
		return exp.Add(-s.lifetime), exp
	default:
		return now, now.Add(lifetime)
	}
}

// Verify checks that raw is an access token this service issued: RS256 with this service's key, the
// v2 issuer and tenant, not yet expired and already valid, and, when audiences are given, an "aud"
// equal to one of them. The error matches exactly one of ErrInvalidToken, ErrExpired and
// ErrWrongAudience (errors.Is) and never contains the token.
func (s *Service) Verify(raw string, audiences ...string) (Claims, error) {
	c, err := s.verifiedClaims(raw)
	if err != nil {
		return Claims{}, err
	}
	c.Roles = slices.Clone(c.Roles) // the cached entry must not be changed through the result
	c.DirectoryRoles = slices.Clone(c.DirectoryRoles)
	if c.Issuer != s.Issuer() {
		return Claims{}, fmt.Errorf("%w: issuer %q is not %q", ErrInvalidToken, c.Issuer, s.Issuer())
	}
	if !strings.EqualFold(c.TenantID, s.cfg.TenantID) {
		return Claims{}, fmt.Errorf("%w: tenant %q is not %q", ErrInvalidToken, c.TenantID, s.cfg.TenantID)
	}
	if c.Expiry.IsZero() {
		return Claims{}, fmt.Errorf("%w: no numeric exp claim", ErrInvalidToken)
	}
	now := s.cfg.Now()
	if !now.Before(c.Expiry) {
		return Claims{}, fmt.Errorf("%w: expired at %s", ErrExpired, c.Expiry.Format(time.RFC3339))
	}
	if now.Before(c.NotBefore) {
		return Claims{}, fmt.Errorf("%w: not valid before %s", ErrInvalidToken, c.NotBefore.Format(time.RFC3339))
	}
	if len(audiences) > 0 && !contains(audiences, c.Audience) {
		return Claims{}, fmt.Errorf("%w: audience %q is not one of %s", ErrWrongAudience, c.Audience, strings.Join(audiences, ", "))
	}
	return c, nil
}

// verifiedClaims checks the token's form, algorithm, key and signature and decodes its claims. The RSA
// check dominates the cost of every Graph and gateway request, so results for tokens that verified are
// cached; the time, issuer and audience checks run on every call.
func (s *Service) verifiedClaims(raw string) (Claims, error) {
	s.cacheMu.Lock()
	c, ok := s.cache[raw]
	s.cacheMu.Unlock()
	if ok {
		return c, nil
	}
	tok, err := parseJWT(raw)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if alg := tok.headerString("alg"); alg != "RS256" {
		return Claims{}, fmt.Errorf("%w: signing algorithm %q is not RS256", ErrInvalidToken, alg)
	}
	if kid := tok.headerString("kid"); kid != s.kid {
		return Claims{}, fmt.Errorf("%w: signed with unknown key %q", ErrInvalidToken, kid)
	}
	if err := tok.verify(&s.key.PublicKey); err != nil {
		return Claims{}, fmt.Errorf("%w: signature verification failed: %w", ErrInvalidToken, err)
	}
	c = Claims{
		Audience:        tok.claimString("aud"),
		Issuer:          tok.claimString("iss"),
		TenantID:        tok.claimString("tid"),
		AppID:           tok.claimString("appid"),
		AuthorizedParty: tok.claimString("azp"),
		ObjectID:        tok.claimString("oid"),
		Version:         tok.claimString("ver"),
		Roles:           tok.claimStrings("roles"),
		Scopes:          tok.claimString("scp"),
		DirectoryRoles:  tok.claimStrings("wids"),
		Name:            tok.claimString("name"),
		Email:           tok.claimString("email"),
		GivenName:       tok.claimString("given_name"),
		FamilyName:      tok.claimString("family_name"),
	}
	c.IssuedAt, _ = tok.claimTime("iat")
	c.Expiry, _ = tok.claimTime("exp") // zero when absent; Verify refuses that
	if c.NotBefore, ok = tok.claimTime("nbf"); !ok {
		c.NotBefore = c.IssuedAt
	}
	s.cacheMu.Lock()
	if len(s.cache) >= verifyCacheSize {
		clear(s.cache) // tokens are long-lived and few; starting over is simpler than LRU bookkeeping
	}
	s.cache[raw] = c
	s.cacheMu.Unlock()
	return c, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// newUTI returns a random token identifier in Entra ID's "uti" form (22 base64url characters).
func newUTI() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // crypto/rand.Read never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// AllowGetOrHead reports whether r is a GET or a HEAD, the methods the emulator's document endpoints
// (discovery, keys, cloud metadata) serve; to any other method it answers 405 with the Allow header that
// RFC 9110 (section 15.5.6) requires.
func AllowGetOrHead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
