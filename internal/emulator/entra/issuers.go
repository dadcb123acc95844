package entra

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// defaultFederatedTokenLifetime is the lifetime of test issuer tokens when none is given; GitHub Actions
// tokens live for a few minutes, long enough for one token exchange.
const defaultFederatedTokenLifetime = 10 * time.Minute

// OIDCIssuer configures one test OIDC issuer, served under /oidc/{Name} with issuer URL
// "<base>/oidc/{Name}". Its tokens can be presented as federated client assertions.
type OIDCIssuer struct {
	// Name is the issuer's path segment: lower-case letters, digits and hyphens.
	Name string
	// DefaultSubject is the "sub" of tokens requested over HTTP or minted with an empty subject.
	DefaultSubject string
	// DefaultAudience is the "aud" when a request names none; empty means FederatedAudience.
	DefaultAudience string
	// RequestToken is the bearer token GET /oidc/{Name}/token requires, like GitHub Actions'
	// ACTIONS_ID_TOKEN_REQUEST_TOKEN. Empty means a random one, readable through Service.OIDCIssuer.
	RequestToken string
	// SigningKey signs the issuer's tokens; nil generates a key on first use.
	SigningKey *rsa.PrivateKey
	// Kind is the CI system the issuer stands in for: IssuerKindGitHub (the default, GitHub Actions'
	// GET token request) or IssuerKindAzureDevOps (Azure Pipelines' POST oidctoken request).
	Kind string
	// Organization is the Azure DevOps organization of an IssuerKindAzureDevOps issuer: the first segment
	// of its service connections' subjects (sc://<organization>/<project>/<name>).
	Organization string
	// ServiceConnections are the Azure DevOps service connections whose tokens an IssuerKindAzureDevOps
	// issuer issues, selected by the request's serviceConnectionId.
	ServiceConnections []ServiceConnection
}

// Kinds of test OIDC issuers.
const (
	IssuerKindGitHub      = "github"
	IssuerKindAzureDevOps = "azureDevOps"
)

// DefaultIssuers returns the issuers served when Config.Issuers is nil: "github" (a GitHub Actions
// workflow of this repository's main branch) and "kubernetes" (a service account).
//
// and "azure-devops" (an Azure DevOps organization "bayer" with one service connection,
// DefaultServiceConnectionID, in project "lkps", named "lkps-deployer").
func DefaultIssuers() []OIDCIssuer {
	return []OIDCIssuer{
		{Name: "github", DefaultSubject: "repo:bayer/terraform-provider-lkps:ref:refs/heads/main"},
		{Name: "kubernetes", DefaultSubject: "system:serviceaccount:default:lkps"},
		{
			Name: "azure-devops", Kind: IssuerKindAzureDevOps, Organization: "bayer",
			ServiceConnections: []ServiceConnection{{ID: DefaultServiceConnectionID, Project: "lkps", Name: "lkps-deployer"}},
		},
	}
}

var issuerNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// issuerKeyOnce guards lazy generation of an issuer's key.
type issuerKeyOnce struct {
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

// oidcIssuer is a configured issuer with its lazily generated key.
type oidcIssuer struct {
	cfg     OIDCIssuer
	keyOnce issuerKeyOnce
}

func newOIDCIssuer(cfg OIDCIssuer) (*oidcIssuer, error) {
	if !issuerNameRE.MatchString(cfg.Name) {
		return nil, fmt.Errorf("OIDC issuer name %q: want lower-case letters, digits and hyphens", cfg.Name)
	}
	if cfg.DefaultAudience == "" {
		cfg.DefaultAudience = FederatedAudience
	}
	if err := validateIssuerKind(&cfg); err != nil {
		return nil, err
	}
	if cfg.RequestToken == "" {
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("generating request token for OIDC issuer %q: %w", cfg.Name, err)
		}
		cfg.RequestToken = base64.RawURLEncoding.EncodeToString(b[:])
	}
	iss := &oidcIssuer{cfg: cfg}
	if cfg.SigningKey != nil {
		iss.keyOnce.once.Do(func() { iss.keyOnce.key = cfg.SigningKey })
	}
	return iss, nil
}

// signingKey returns the issuer's key, generating it on first use so that emulators nobody federates
// with do not pay for key generation.
func (i *oidcIssuer) signingKey() (*rsa.PrivateKey, error) {
	i.keyOnce.once.Do(func() {
		i.keyOnce.key, i.keyOnce.err = rsa.GenerateKey(rand.Reader, signingKeyBits)
	})
	if i.keyOnce.err != nil {
		return nil, fmt.Errorf("generating signing key of OIDC issuer %q: %w", i.cfg.Name, i.keyOnce.err)
	}
	return i.keyOnce.key, nil
}

// kid names the issuer's key: the base64url SHA-256 of its DER public key, truncated like common issuers do.
func (i *oidcIssuer) kid() string {
	key, err := i.signingKey()
	if err != nil {
		return ""
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:16])
}

// OIDCIssuer returns the effective configuration of the named test issuer, including its request token.
func (s *Service) OIDCIssuer(name string) (OIDCIssuer, bool) {
	iss, ok := s.issuers[name]
	if !ok {
		return OIDCIssuer{}, false
	}
	cfg := iss.cfg
	cfg.SigningKey = nil
	return cfg, true
}

// OIDCIssuerNames returns the names of the configured test issuers in configuration order.
func (s *Service) OIDCIssuerNames() []string { return append([]string(nil), s.issuerNames...) }

// OIDCIssuerURL returns the issuer URL ("iss" claim) of the named test issuer: "<base>/oidc/{name}".
func (s *Service) OIDCIssuerURL(name string) string { return s.baseURL() + "/oidc/" + name }

// OIDCIssuerTokenRequestURL returns the GitHub-Actions-style token request URL of the named issuer, the
// value for ACTIONS_ID_TOKEN_REQUEST_URL (clients append "&audience=...").
func (s *Service) OIDCIssuerTokenRequestURL(name string) string {
	return s.OIDCIssuerURL(name) + "/token?api-version=2.0"
}

func (s *Service) issuerByURL(iss string) *oidcIssuer {
	prefix := s.baseURL() + "/oidc/"
	name, ok := strings.CutPrefix(iss, prefix)
	if !ok {
		return nil
	}
	return s.issuers[name]
}

// MintFederated issues a token of the named test issuer for subject and audience, as the issuer's token
// endpoint would. Empty subject and audience take the issuer's defaults; lifetime 0 means ten minutes and
// a negative lifetime yields a token that expired that long ago.
func (s *Service) MintFederated(issuer, subject, audience string, lifetime time.Duration) (string, error) {
	iss, ok := s.issuers[issuer]
	if !ok {
		return "", fmt.Errorf("minting federated token: no OIDC issuer named %q", issuer)
	}
	return s.mintFederated(iss, subject, audience, lifetime)
}

func (s *Service) mintFederated(iss *oidcIssuer, subject, audience string, lifetime time.Duration) (string, error) {
	if subject == "" {
		subject = iss.cfg.DefaultSubject
	}
	if subject == "" {
		return "", fmt.Errorf("minting federated token of issuer %q: no subject given and no default subject configured", iss.cfg.Name)
	}
	if audience == "" {
		audience = iss.cfg.DefaultAudience
	}
	key, err := iss.signingKey()
	if err != nil {
		return "", fmt.Errorf("minting federated token: %w", err)
	}
	now := s.cfg.Now()
	iat, exp := now, now.Add(lifetime)
	switch {
	case lifetime == 0:
		exp = now.Add(defaultFederatedTokenLifetime)
	case lifetime < 0:
		iat = exp.Add(-defaultFederatedTokenLifetime)
	}
	claims := map[string]any{
		"iss": s.OIDCIssuerURL(iss.cfg.Name),
		"sub": subject,
		"aud": audience,
		"iat": iat.Unix(),
		"nbf": iat.Unix(),
		"exp": exp.Unix(),
		"jti": newGUID(),
	}
	tok, err := signJWT(key, map[string]any{"kid": iss.kid()}, claims)
	if err != nil {
		return "", fmt.Errorf("minting federated token of issuer %q: %w", iss.cfg.Name, err)
	}
	return tok, nil
}

// serveIssuer serves /oidc/{name}/.well-known/openid-configuration, /oidc/{name}/.well-known/jwks and
// /oidc/{name}/token; rest is the path after "/oidc/".
func (s *Service) serveIssuer(w http.ResponseWriter, r *http.Request, rest string) {
	name, sub, _ := strings.Cut(rest, "/")
	iss, ok := s.issuers[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if iss.cfg.Kind == IssuerKindAzureDevOps && sub == azureDevOpsTokenPath {
		s.serveAzureDevOpsToken(w, r, iss)
		return
	}
	switch sub {
	case ".well-known/openid-configuration", ".well-known/jwks":
	case "token":
		if iss.cfg.Kind == IssuerKindAzureDevOps {
			http.NotFound(w, r)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if !AllowGetOrHead(w, r) {
		return
	}
	issuerURL := s.OIDCIssuerURL(name)
	switch sub {
	case ".well-known/openid-configuration":
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                issuerURL,
			"jwks_uri":                              issuerURL + "/.well-known/jwks",
			"subject_types_supported":               []string{"public"},
			"response_types_supported":              []string{"id_token"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti"},
			"scopes_supported":                      []string{"openid"},
		})
	case ".well-known/jwks":
		key, err := iss.signingKey()
		if err != nil {
			http.Error(w, "issuer key unavailable", http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"keys": []any{map[string]any{
			"kty": "RSA",
			"use": "sig",
			"alg": "RS256",
			"kid": iss.kid(),
			"n":   base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	case "token":
		s.serveIssuerToken(w, r, iss)
	}
}

// serveIssuerToken is the GitHub Actions ID token request endpoint: the caller proves it runs in the
// workflow with the request token and names the audience it wants.
func (s *Service) serveIssuerToken(w http.ResponseWriter, r *http.Request, iss *oidcIssuer) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(iss.cfg.RequestToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.OIDCIssuerURL(iss.cfg.Name)+`"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"message": "Bad credentials: the request token of OIDC issuer '" + iss.cfg.Name + "' is required as a Bearer token.",
		})
		return
	}
	tok, err := s.mintFederated(iss, "", r.URL.Query().Get("audience"), 0)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"value": tok})
}
