package entra

import (
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint of the certificate (RFC 7517 §4.8).
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// maxTokenRequestBytes bounds a token request body; real requests are a few kilobytes.
const maxTokenRequestBytes = 64 << 10

// oidcScopes are the scopes MSAL appends to every request; Entra ID ignores them in the client
// credentials flow, so they do not count as a second resource.
var oidcScopes = map[string]bool{"openid": true, "profile": true, "offline_access": true, "email": true}

// serveToken implements POST /{tenant}/oauth2/v2.0/token for grant_type=client_credentials.
func (s *Service) serveToken(w http.ResponseWriter, r *http.Request, tenant string, multi bool) {
	now := s.cfg.Now()
	fail := func(e *stsError) { e.write(w, r, now, s.baseURL()) }
	if r.Method != http.MethodPost {
		fail(errPostOnly(r.Method))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		fail(errMalformedRequest("The request body must be application/x-www-form-urlencoded."))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequestBytes)
	if err := r.ParseForm(); err != nil {
		fail(errMalformedRequest("The request body could not be parsed as a form."))
		return
	}
	form := r.PostForm

	grant := form.Get("grant_type")
	if grant == "" {
		fail(errMissingParameter("grant_type"))
		return
	}
	if grant != "client_credentials" {
		fail(errUnsupportedGrant(grant))
		return
	}
	clientID := form.Get("client_id")
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if hasBasic { // client_secret_basic: RFC 6749 §2.3.1 form-encodes both parts
		id, idErr := url.QueryUnescape(basicID)
		sec, secErr := url.QueryUnescape(basicSecret)
		if idErr != nil || secErr != nil {
			fail(errMalformedRequest("The Authorization header's client credentials are not form-encoded."))
			return
		}
		if clientID != "" && clientID != id {
			fail(errMalformedRequest("client_id in the body differs from the one in the Authorization header."))
			return
		}
		clientID, basicSecret = id, sec
	}
	if clientID == "" {
		fail(errMissingParameter("client_id"))
		return
	}
	scope := form.Get("scope")
	if scope == "" {
		fail(errMissingParameter("scope"))
		return
	}
	resource, serr := parseScope(scope)
	if serr != nil {
		fail(serr)
		return
	}
	if multi {
		fail(errCommonTenant(clientID, tenant))
		return
	}
	client, ok := s.cfg.Directory.Client(clientID)
	if !ok {
		fail(errUnknownClient(clientID, s.cfg.TenantID))
		return
	}
	secret := form.Get("client_secret")
	if hasBasic {
		if secret != "" {
			fail(errTwoCredentials())
			return
		}
		secret = basicSecret
	}
	acr, serr := s.authenticate(client, tenant, secret, form, now)
	if serr != nil {
		fail(serr)
		return
	}
	if client.NoServicePrincipal {
		fail(errMissingServicePrincipal(clientID, s.cfg.TenantID))
		return
	}
	if !s.acceptsResource(resource) {
		fail(errUnknownResource(resource, s.cfg.TenantID))
		return
	}
	exp := now.Add(s.lifetime)
	tok, err := s.sign(s.appToken(client, resource, acr, now, exp))
	if err != nil {
		http.Error(w, "signing access token failed", http.StatusInternalServerError)
		return
	}
	// Entra ID reports one second less than the token's lifetime (3599 for an hour).
	expiresIn := int64(s.lifetime/time.Second) - 1
	if cid := r.Header.Get("client-request-id"); directory.IsGUID(cid) {
		w.Header().Set("client-request-id", cid)
	}
	w.Header().Set("x-ms-request-id", newGUID())
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     expiresIn,
		"ext_expires_in": expiresIn,
		"access_token":   tok,
	})
}

// parseScope returns the resource of a client credentials scope: exactly one "<resource>/.default"
// besides the OIDC scopes MSAL adds.
func parseScope(scope string) (string, *stsError) {
	var scopes []string
	for _, f := range strings.Fields(scope) {
		if !oidcScopes[f] {
			scopes = append(scopes, f)
		}
	}
	if len(scopes) != 1 {
		return "", errScopeNotValid(scope)
	}
	resource, ok := strings.CutSuffix(scopes[0], "/.default")
	if !ok {
		return "", errScopeNotDefault(scopes[0])
	}
	if resource == "" {
		return "", errScopeNotValid(scope)
	}
	return resource, nil
}

// authenticate checks the client's credential and returns the authentication context class ("1" for a
// secret, "2" for an assertion), as the appidacr/azpacr claims report it.
func (s *Service) authenticate(c Client, tenant, secret string, form url.Values, now time.Time) (string, *stsError) {
	assertion := form.Get("client_assertion")
	switch {
	case secret != "" && assertion != "":
		return "", errTwoCredentials()
	case secret != "":
		for _, known := range c.Secrets {
			if known != "" && subtle.ConstantTimeCompare([]byte(known), []byte(secret)) == 1 {
				return "1", nil
			}
		}
		return "", errBadSecret(c.AppID)
	case assertion != "":
		switch t := form.Get("client_assertion_type"); t {
		case assertionTypeJWTBearer:
		case "":
			return "", errMissingParameter("client_assertion_type")
		default:
			return "", errBadAssertionType(t)
		}
		tok, err := parseJWT(assertion)
		if err != nil {
			return "", errMalformedAssertion("The client assertion is not a well-formed JWT.")
		}
		iss := tok.claimString("iss")
		if iss == "" {
			return "", errMalformedAssertion("The client assertion has no 'iss' claim.")
		}
		// A certificate assertion is issued by the application itself (iss = client ID); anything issued
		// by a URL is an external token presented under a federated identity credential.
		if directory.IsGUID(iss) {
			return "2", s.checkCertificateAssertion(tok, c, tenant, now)
		}
		return "2", s.checkFederatedAssertion(tok, c, now)
	default:
		return "", errNoCredential()
	}
}

// checkCertificateAssertion validates a client assertion signed with one of the client's certificates
// (https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
func (s *Service) checkCertificateAssertion(tok *jwt, c Client, tenant string, now time.Time) *stsError {
	cert, thumb, serr := findCertificate(tok, c)
	if serr != nil {
		return serr
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errAssertionSignature("The registered certificate does not hold an RSA key.")
	}
	if err := tok.verify(pub); err != nil {
		return errAssertionSignature("The provided signature value did not match the expected signature value.")
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return errAssertionKeyExpired(thumb)
	}
	if !strings.EqualFold(tok.claimString("iss"), c.AppID) || !strings.EqualFold(tok.claimString("sub"), c.AppID) {
		return errAssertionClientMismatch()
	}
	base := s.baseURL()
	accepted := []string{
		base + "/" + tenant + "/oauth2/v2.0/token",
		s.TokenEndpoint(),
		base + "/" + tenant + "/oauth2/token",
		base + "/" + s.cfg.TenantID + "/oauth2/token",
	}
	auds := tok.claimStrings("aud")
	audOK := false
	for _, a := range auds {
		for _, want := range accepted {
			if strings.EqualFold(a, want) {
				audOK = true
			}
		}
	}
	if !audOK {
		return errAssertionAudience(strings.Join(auds, ", "), s.TokenEndpoint())
	}
	return checkAssertionTime(tok, now)
}

// findCertificate returns the client's certificate named by the assertion's x5t#S256 or x5t header and
// its thumbprint in the upper-case hexadecimal form Entra ID prints.
func findCertificate(tok *jwt, c Client) (*x509.Certificate, string, *stsError) {
	var (
		want      []byte
		useSHA256 bool
	)
	if v := tok.headerString("x5t#S256"); v != "" {
		b, ok := decodeThumbprint(v)
		if !ok {
			return nil, "", errMalformedAssertion("The x5t#S256 header is not base64.")
		}
		want, useSHA256 = b, true
	} else if v := tok.headerString("x5t"); v != "" {
		b, ok := decodeThumbprint(v)
		if !ok {
			return nil, "", errMalformedAssertion("The x5t header is not base64.")
		}
		want = b
	} else {
		return nil, "", errAssertionSignature("The client assertion header names no certificate: 'x5t' or 'x5t#S256' is required.")
	}
	thumb := strings.ToUpper(hex.EncodeToString(want))
	for _, cert := range c.Certificates {
		if cert == nil {
			continue
		}
		var got []byte
		if useSHA256 {
			sum := sha256.Sum256(cert.Raw)
			got = sum[:]
		} else {
			sum := sha1.Sum(cert.Raw) //nolint:gosec // see the import comment
			got = sum[:]
		}
		if subtle.ConstantTimeCompare(got, want) == 1 {
			return cert, thumb, nil
		}
	}
	return nil, "", errAssertionKeyNotFound(thumb, c.AppID)
}

// checkFederatedAssertion validates an external OIDC token against the client's federated identity
// credentials (https://learn.microsoft.com/entra/workload-id/workload-identity-federation): issuer,
// subject and audience must match one credential exactly, and the token must verify with the issuer's
// key and be within its lifetime.
func (s *Service) checkFederatedAssertion(tok *jwt, c Client, now time.Time) *stsError {
	iss, sub, auds := tok.claimString("iss"), tok.claimString("sub"), tok.claimStrings("aud")
	if len(c.Federated) == 0 {
		return errNoFederatedRecord(iss, sub, strings.Join(auds, ","))
	}
	var byIssuer, bySubject []FederatedCredential
	for _, f := range c.Federated {
		if f.Issuer == iss {
			byIssuer = append(byIssuer, f)
		}
	}
	if len(byIssuer) == 0 {
		return errFederatedIssuer(iss)
	}
	for _, f := range byIssuer {
		if f.Subject == sub {
			bySubject = append(bySubject, f)
		}
	}
	if len(bySubject) == 0 {
		return errFederatedSubject(sub)
	}
	matched := false
	for _, f := range bySubject {
		for _, a := range auds {
			if contains(f.Audiences, a) {
				matched = true
			}
		}
	}
	if !matched {
		aud := ""
		if len(auds) > 0 {
			aud = auds[0]
		}
		return errFederatedAudience(aud)
	}
	issuer := s.issuerByURL(iss)
	if issuer == nil {
		return errExternalIssuer(iss)
	}
	key, err := issuer.signingKey()
	if err != nil {
		return errExternalIssuer(iss)
	}
	if kid := tok.headerString("kid"); kid != "" && kid != issuer.kid() {
		return errAssertionSignature("The external token is signed with a key the issuer does not publish.")
	}
	if err := tok.verify(&key.PublicKey); err != nil {
		return errAssertionSignature("The external token's signature did not verify with the issuer's published key.")
	}
	return checkAssertionTime(tok, now)
}

// checkAssertionTime enforces exp (required) and nbf (optional) of a client assertion.
func checkAssertionTime(tok *jwt, now time.Time) *stsError {
	exp, ok := tok.claimTime("exp")
	if !ok {
		return errMalformedAssertion("The client assertion has no numeric 'exp' claim.")
	}
	nbf, hasNbf := tok.claimTime("nbf")
	if !hasNbf {
		nbf = time.Unix(0, 0).UTC()
	}
	if !now.Before(exp) || (hasNbf && now.Before(nbf)) {
		return errAssertionTime(now, nbf, exp)
	}
	return nil
}
