package entra_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const (
	testTenant = "11111111-2222-3333-4444-555555555555"
	appID      = "aaaaaaaa-0000-0000-0000-000000000001"
	appSPID    = "bbbbbbbb-0000-0000-0000-000000000001"
	appSecret  = "s3cr3t~value"
	otherAppID = "aaaaaaaa-0000-0000-0000-000000000002"
	nonprodAud = "api://livekit-platform-service-np.int.bayer.com"
)

// testKey is one of the test process's shared RSA keys.
func testKey(t testing.TB, i int) *rsa.PrivateKey { return emutest.RSAKey(t, i) }

// directory is a fake entra.Directory.
type directory struct{ clients emutest.Objects[entra.Client] }

func (d *directory) Client(id string) (entra.Client, bool) { return d.clients.Get(id) }

func (d *directory) put(c entra.Client) { d.clients.Put(c.AppID, c) }

// fixture is a token service behind an httptest TLS server.
type fixture struct {
	svc  *entra.Service
	srv  *httptest.Server
	dir  *directory
	cert *x509.Certificate // registered certificate of appID
	now  time.Time         // the fixed clock, when one is used
}

type fixtureOption func(*entra.Config)

func withFixedClock(now time.Time) fixtureOption {
	return func(c *entra.Config) { c.Now = func() time.Time { return now } }
}

func newFixture(t testing.TB, opts ...fixtureOption) *fixture {
	t.Helper()
	f := &fixture{dir: &directory{}}
	f.cert = selfSignedCert(t, testKey(t, 1), time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	f.dir.put(entra.Client{
		AppID: appID, ServicePrincipalID: appSPID, DisplayName: "terraform",
		Secrets:      []string{"old-secret", appSecret},
		Certificates: []*x509.Certificate{f.cert},
		GraphRoles:   []string{"Application.ReadWrite.All"},
	})
	f.dir.put(entra.Client{AppID: otherAppID, ServicePrincipalID: "bbbbbbbb-0000-0000-0000-000000000002", Secrets: []string{"x"}})
	var handler http.Handler
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	cfg := entra.Config{
		TenantID:   testTenant,
		BaseURL:    func() string { return f.srv.URL },
		Directory:  f.dir,
		SigningKey: testKey(t, 0),
		Resources:  func(r string) bool { return r == "api://custom-resource" },
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.Now != nil {
		f.now = cfg.Now()
	}
	svc, err := entra.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.svc = svc
	handler = svc.Handler()
	return f
}

func selfSignedCert(t testing.TB, key *rsa.PrivateKey, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "test client"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	cert, _ := emutest.SelfSigned(t, tmpl, key)
	return cert
}

// graphToken returns the function that gets a Graph token with a new credential (the result of its
// constructor), failing the test when there is no credential or no token.
func graphToken(t *testing.T) func(azcore.TokenCredential, error) azcore.AccessToken {
	return func(cred azcore.TokenCredential, err error) azcore.AccessToken {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{entraGraphScope}})
		if err != nil {
			t.Fatalf("GetToken: %v", err)
		}
		return tok
	}
}

// tokenRefused returns the function that checks a new credential (the result of its constructor) gets
// no Graph token, with an error that names want.
func tokenRefused(t *testing.T, what, want string) func(azcore.TokenCredential, error) {
	return func(cred azcore.TokenCredential, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{entraGraphScope}}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %s", what, err, want)
		}
	}
}

func (f *fixture) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: f.srv.URL},
		Transport: f.srv.Client(),
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
}

func (f *fixture) tokenURL(tenant string) string {
	return f.srv.URL + "/" + tenant + "/oauth2/v2.0/token"
}

// postToken sends a raw token request and decodes the JSON reply.
func (f *fixture) postToken(t *testing.T, tenant string, form url.Values) (int, map[string]any) {
	t.Helper()
	r := emutest.Send(t, f.srv.Client(), http.MethodPost, f.tokenURL(tenant), strings.NewReader(form.Encode()), emutest.Bearer("", "application/x-www-form-urlencoded"))
	return r.Status, r.JSON(t)
}

func (f *fixture) get(t *testing.T, path string, header http.Header) (int, map[string]any) {
	t.Helper()
	r := emutest.Send(t, f.srv.Client(), http.MethodGet, f.srv.URL+path, nil, header)
	var body map[string]any
	_ = json.Unmarshal(r.Body, &body)
	return r.Status, body
}

func secretForm(scope string) url.Values {
	return url.Values{
		"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {appSecret}, "scope": {scope},
	}
}

func assertionForm(assertion string) url.Values {
	return url.Values{
		"grant_type": {"client_credentials"}, "client_id": {appID}, "scope": {entraGraphScope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion},
	}
}

const entraGraphScope = "https://graph.microsoft.com/.default"

// signTestJWT builds an RS256 or PS256 JWT with the given header fields and claims.
func signTestJWT(t *testing.T, key *rsa.PrivateKey, alg string, header, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": alg, "typ": "JWT"}
	for k, v := range header {
		h[k] = v
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	if alg == "PS256" {
		sig, err = rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], nil)
	} else {
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// certAssertion is a client assertion for appID like MSAL builds it (PS256, standard-base64 x5t#S256).
func (f *fixture) certAssertion(t *testing.T, key *rsa.PrivateKey, cert *x509.Certificate, mutate func(map[string]any)) string {
	t.Helper()
	now := time.Now()
	if !f.now.IsZero() {
		now = f.now
	}
	claims := map[string]any{
		"aud": f.tokenURL(testTenant), "iss": appID, "sub": appID, "jti": "1",
		"nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	if mutate != nil {
		mutate(claims)
	}
	sum := sha256.Sum256(cert.Raw)
	return signTestJWT(t, key, "PS256", map[string]any{"x5t#S256": base64.StdEncoding.EncodeToString(sum[:])}, claims)
}

// decodeClaims returns the unverified payload of a JWT.
func decodeClaims(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func TestClientSecretCredential(t *testing.T) {
	f := newFixture(t)
	cred, err := azidentity.NewClientSecretCredential(testTenant, appID, appSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{entraGraphScope}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if d := time.Until(tok.ExpiresOn); d < 58*time.Minute || d > time.Hour {
		t.Errorf("token expires in %s, want about an hour", d)
	}
	c, err := f.svc.Verify(tok.Token, f.svc.GraphAudiences()...)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.Audience != "https://graph.microsoft.com" || c.AppID != appID || c.AuthorizedParty != appID || c.ObjectID != appSPID ||
		c.TenantID != testTenant || c.Version != "2.0" || c.Issuer != f.srv.URL+"/"+testTenant+"/v2.0" {
		t.Errorf("claims = %+v", c)
	}
	if len(c.Roles) != 1 || c.Roles[0] != "Application.ReadWrite.All" {
		t.Errorf("roles = %v, want the Graph roles", c.Roles)
	}
	header, raw := decodeClaims(t, tok.Token)
	if header["alg"] != "RS256" || header["kid"] == nil || header["kid"] != header["x5t"] {
		t.Errorf("header = %v", header)
	}
	for _, claim := range []string{"iat", "nbf", "exp", "uti", "sub", "oid", "azp", "appid", "tid", "ver"} {
		if raw[claim] == nil {
			t.Errorf("claim %q missing from %v", claim, raw)
		}
	}
	if raw["idtyp"] != "app" || raw["sub"] != appSPID || raw["azpacr"] != "1" {
		t.Errorf("idtyp/sub/azpacr = %v/%v/%v", raw["idtyp"], raw["sub"], raw["azpacr"])
	}

	// An LKPS token carries the environment's audience and no Graph roles.
	tok, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{environments.MustLookup(environments.NonProd, environments.EU).LKPSScope}})
	if err != nil {
		t.Fatalf("GetToken(LKPS): %v", err)
	}
	c, err = f.svc.Verify(tok.Token, nonprodAud)
	if err != nil {
		t.Fatalf("Verify(LKPS): %v", err)
	}
	if len(c.Roles) != 0 {
		t.Errorf("LKPS token roles = %v, want none", c.Roles)
	}
}

func TestClientSecretCredentialWrongSecretSurfacesEntraError(t *testing.T) {
	f := newFixture(t)
	cred, err := azidentity.NewClientSecretCredential(testTenant, appID, "wrong", &azidentity.ClientSecretCredentialOptions{
		ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{entraGraphScope}})
	var authErr *azidentity.AuthenticationFailedError
	if !errors.As(err, &authErr) || authErr.RawResponse == nil || authErr.RawResponse.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want an AuthenticationFailedError with status 401", err)
	}
	if !strings.Contains(err.Error(), "AADSTS7000215") || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("err = %v, want Entra's invalid_client AADSTS7000215", err)
	}
}

func TestClientCertificateCredential(t *testing.T) {
	f := newFixture(t)
	keyDER, err := x509.MarshalPKCS8PrivateKey(testKey(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	certs, key, err := azidentity.ParseCertificates(pemData, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sendChain := range []bool{false, true} {
		cred, err := azidentity.NewClientCertificateCredential(testTenant, appID, certs, key, &azidentity.ClientCertificateCredentialOptions{
			ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true, SendCertificateChain: sendChain,
		})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{nonprodAud + "/.default"}})
		if err != nil {
			t.Fatalf("GetToken(sendChain=%v): %v", sendChain, err)
		}
		c, err := f.svc.Verify(tok.Token, nonprodAud)
		if err != nil || c.AppID != appID {
			t.Fatalf("Verify = %+v, %v", c, err)
		}
		if _, raw := decodeClaims(t, tok.Token); raw["azpacr"] != "2" {
			t.Errorf("azpacr = %v, want 2 for a certificate", raw["azpacr"])
		}
	}

	// A certificate the application does not hold is refused, and azidentity reports Entra's code.
	otherCert := selfSignedCert(t, testKey(t, 2), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	tokenRefused(t, "unregistered certificate", "AADSTS700027")(azidentity.NewClientCertificateCredential(testTenant, appID, []*x509.Certificate{otherCert}, testKey(t, 2), &azidentity.ClientCertificateCredentialOptions{
		ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true,
	}))
}

func (f *fixture) issuerRequestToken(t *testing.T, issuer string) string {
	t.Helper()
	cfg, ok := f.svc.OIDCIssuer(issuer)
	if !ok {
		t.Fatalf("no issuer %q", issuer)
	}
	return cfg.RequestToken
}

func TestClientAssertionCredentialFederated(t *testing.T) {
	f := newFixture(t)
	ghIssuer, _ := f.svc.OIDCIssuer("github")
	c, _ := f.dir.Client(appID)
	c.Federated = []entra.FederatedCredential{
		{Issuer: "https://token.actions.githubusercontent.com", Subject: ghIssuer.DefaultSubject, Audiences: []string{entra.FederatedAudience}},
		{Issuer: f.svc.OIDCIssuerURL("github"), Subject: ghIssuer.DefaultSubject, Audiences: []string{entra.FederatedAudience}},
	}
	f.dir.put(c)

	// The assertion callback fetches an ID token the way GitHub Actions' toolkit does: the request URL
	// plus "&audience=", with the request token as a bearer.
	requests := 0
	getAssertion := func(ctx context.Context) (string, error) {
		requests++
		u := f.svc.OIDCIssuerTokenRequestURL("github") + "&audience=" + url.QueryEscape(entra.FederatedAudience)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "bearer "+ghIssuer.RequestToken)
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", errors.New(resp.Status)
		}
		var body struct{ Value string }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return "", err
		}
		return body.Value, nil
	}
	tok := graphToken(t)(azidentity.NewClientAssertionCredential(testTenant, appID, getAssertion, &azidentity.ClientAssertionCredentialOptions{
		ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true,
	}))
	if requests != 1 {
		t.Errorf("assertion callback called %d times", requests)
	}
	if claims, err := f.svc.Verify(tok.Token, entra.GraphAppID, "https://graph.microsoft.com"); err != nil || claims.AppID != appID {
		t.Fatalf("Verify = %+v, %v", claims, err)
	}

	// A workflow of another branch gets a token with another subject, which the credential does not trust.
	tokenRefused(t, "wrong subject", "AADSTS700213")(azidentity.NewClientAssertionCredential(testTenant, appID, func(context.Context) (string, error) {
		return f.svc.MintFederated("github", "repo:bayer/terraform-provider-lkps:ref:refs/heads/feature", "", 0)
	}, &azidentity.ClientAssertionCredentialOptions{ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true}))
}

// TestWorkloadIdentityCredential is the Kubernetes flow: a projected service account token in a file.
func TestWorkloadIdentityCredential(t *testing.T) {
	f := newFixture(t)
	k8s, _ := f.svc.OIDCIssuer("kubernetes")
	c, _ := f.dir.Client(appID)
	c.Federated = []entra.FederatedCredential{{Issuer: f.svc.OIDCIssuerURL("kubernetes"), Subject: k8s.DefaultSubject, Audiences: []string{entra.FederatedAudience}}}
	f.dir.put(c)
	sa, err := f.svc.MintFederated("kubernetes", "", "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/token"
	if err := os.WriteFile(path, []byte(sa), 0o600); err != nil {
		t.Fatal(err)
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true, ClientID: appID, TenantID: testTenant, TokenFilePath: path,
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{nonprodAud + "/.default"}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if claims, err := f.svc.Verify(tok.Token, nonprodAud); err != nil || claims.ObjectID != appSPID {
		t.Fatalf("Verify = %+v, %v", claims, err)
	}
}

func TestTokenResponseShape(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f := newFixture(t, withFixedClock(now))
	status, body := f.postToken(t, testTenant, secretForm(entraGraphScope+" openid profile offline_access"))
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, body["error_description"])
	}
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) || body["ext_expires_in"] != float64(3599) {
		t.Errorf("reply: token_type %v expires_in %v ext_expires_in %v", body["token_type"], body["expires_in"], body["ext_expires_in"])
	}
	tok, _ := body["access_token"].(string)
	_, claims := decodeClaims(t, tok)
	if claims["iat"] != float64(now.Unix()) || claims["nbf"] != float64(now.Unix()) || claims["exp"] != float64(now.Add(time.Hour).Unix()) {
		t.Errorf("iat/nbf/exp = %v/%v/%v", claims["iat"], claims["nbf"], claims["exp"])
	}
}

func TestAcceptedResources(t *testing.T) {
	f := newFixture(t)
	for _, res := range []string{
		"https://graph.microsoft.com", "https://graph.microsoft.com/", entra.GraphAppID, f.srv.URL + "/graph", f.srv.URL + "/graph/",
		"api://livekit-platform-service-np.int.bayer.com", "api://livekit-platform-service.int.bayer.com", "api://custom-resource",
	} {
		status, body := f.postToken(t, testTenant, secretForm(res+"/.default"))
		if status != http.StatusOK {
			t.Errorf("%s: status %d: %v %v", res, status, body["error"], body["error_description"])
			continue
		}
		tok, _ := body["access_token"].(string)
		c, err := f.svc.Verify(tok, res)
		if err != nil {
			t.Errorf("%s: Verify: %v", res, err)
			continue
		}
		if wantRoles := f.svc.IsGraphAudience(res); (len(c.Roles) > 0) != wantRoles {
			t.Errorf("%s: roles %v, Graph audience %v", res, c.Roles, wantRoles)
		}
	}
}

func TestClientSecretBasicAuth(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {entraGraphScope}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.tokenURL(testTenant), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(appID), url.QueryEscape(appSecret))
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("client_secret_basic: status %d", resp.StatusCode)
	}
}

// TestTokenEndpointErrors drives every refusal of the token endpoint and checks Entra ID's status,
// error, AADSTS code and body shape.
func TestTokenEndpointErrors(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	f := newFixture(t, withFixedClock(now))
	c, _ := f.dir.Client(appID)
	ghSubject := "repo:bayer/app:ref:refs/heads/main"
	c.Federated = []entra.FederatedCredential{
		{Issuer: f.svc.OIDCIssuerURL("github"), Subject: ghSubject, Audiences: []string{entra.FederatedAudience}},
		{Issuer: "https://issuer.example.com", Subject: "s", Audiences: []string{entra.FederatedAudience}},
	}
	f.dir.put(c)

	// A second service with the same base URL mints tokens that claim the same issuer with another key.
	forger, err := entra.New(entra.Config{TenantID: testTenant, BaseURL: func() string { return f.srv.URL }, Directory: f.dir,
		SigningKey: testKey(t, 2), Issuers: []entra.OIDCIssuer{{Name: "github", SigningKey: testKey(t, 2)}}})
	if err != nil {
		t.Fatal(err)
	}
	mintFed := func(svc *entra.Service, subject, aud string, lifetime time.Duration) string {
		tok, err := svc.MintFederated("github", subject, aud, lifetime)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	unregistered := selfSignedCert(t, testKey(t, 2), now.Add(-time.Hour), now.Add(time.Hour))
	expiredCert := selfSignedCert(t, testKey(t, 2), now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	c.Certificates = append(c.Certificates, expiredCert)
	f.dir.put(c)

	with := func(form url.Values, k, v string) url.Values {
		out := url.Values{}
		for key, vals := range form {
			out[key] = append([]string(nil), vals...)
		}
		if v == "" {
			out.Del(k)
		} else {
			out.Set(k, v)
		}
		return out
	}
	secret := secretForm(entraGraphScope)
	cases := []struct {
		name   string
		tenant string
		form   url.Values
		status int
		error  string
		code   int
	}{
		{"unknown tenant", "99999999-2222-3333-4444-555555555555", secret, 400, "invalid_request", 90002},
		{"common tenant", "common", secret, 400, "invalid_request", 50194},
		{"missing grant", testTenant, with(secret, "grant_type", ""), 400, "invalid_request", 900144},
		{"unsupported grant", testTenant, with(secret, "grant_type", "password"), 400, "unsupported_grant_type", 70003},
		{"missing client id", testTenant, with(secret, "client_id", ""), 400, "invalid_request", 900144},
		{"unknown client", testTenant, with(secret, "client_id", "cccccccc-0000-0000-0000-000000000009"), 400, "unauthorized_client", 700016},
		{"bad secret", testTenant, with(secret, "client_secret", "nope"), 401, "invalid_client", 7000215},
		{"other app's secret", testTenant, with(secret, "client_secret", "x"), 401, "invalid_client", 7000215},
		{"no credential", testTenant, with(secret, "client_secret", ""), 401, "invalid_client", 7000218},
		{"missing scope", testTenant, with(secret, "scope", ""), 400, "invalid_request", 900144},
		{"scope without .default", testTenant, with(secret, "scope", "https://graph.microsoft.com/Application.Read.All"), 400, "invalid_scope", 1002012},
		{"two resources", testTenant, with(secret, "scope", entraGraphScope+" "+nonprodAud+"/.default"), 400, "invalid_scope", 70011},
		{"only OIDC scopes", testTenant, with(secret, "scope", "openid profile"), 400, "invalid_scope", 70011},
		{"bare .default", testTenant, with(secret, "scope", "/.default"), 400, "invalid_scope", 70011},
		{"unknown resource", testTenant, with(secret, "scope", "api://unknown/.default"), 400, "invalid_resource", 500011},
		{"LKPS audience with suffix typo", testTenant, with(secret, "scope", nonprodAud+"x/.default"), 400, "invalid_resource", 500011},
		{"secret and assertion", testTenant, with(with(secret, "client_assertion", "a.b.c"), "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), 400, "invalid_request", 9002313},
		{"assertion without type", testTenant, with(assertionForm(f.certAssertion(t, testKey(t, 1), f.cert, nil)), "client_assertion_type", ""), 400, "invalid_request", 900144},
		{"assertion with wrong type", testTenant, with(assertionForm(f.certAssertion(t, testKey(t, 1), f.cert, nil)), "client_assertion_type", "saml"), 400, "invalid_request", 9002313},
		{"malformed assertion", testTenant, assertionForm("not-a-jwt"), 400, "invalid_request", 50027},
		{"expired certificate assertion", testTenant, assertionForm(f.certAssertion(t, testKey(t, 1), f.cert, func(c map[string]any) {
			c["nbf"], c["exp"] = now.Add(-20*time.Minute).Unix(), now.Add(-10*time.Minute).Unix()
		})), 400, "invalid_client", 700024},
		{"future certificate assertion", testTenant, assertionForm(f.certAssertion(t, testKey(t, 1), f.cert, func(c map[string]any) {
			c["nbf"] = now.Add(5 * time.Minute).Unix()
		})), 400, "invalid_client", 700024},
		{"assertion without exp", testTenant, assertionForm(f.certAssertion(t, testKey(t, 1), f.cert, func(c map[string]any) { delete(c, "exp") })), 400, "invalid_request", 50027},
		{"unregistered certificate", testTenant, assertionForm(f.certAssertion(t, testKey(t, 2), unregistered, nil)), 401, "invalid_client", 700027},
		{"registered certificate, wrong key", testTenant, assertionForm(f.certAssertion(t, testKey(t, 2), f.cert, nil)), 401, "invalid_client", 700027},
		{"expired registered certificate", testTenant, assertionForm(f.certAssertion(t, testKey(t, 2), expiredCert, nil)), 401, "invalid_client", 700027},
		{"assertion with alg none", testTenant, assertionForm(withHeader(t, f.certAssertion(t, testKey(t, 1), f.cert, nil), map[string]any{"alg": "none"}, true)), 401, "invalid_client", 700027},
		{"assertion with alg HS256", testTenant, assertionForm(withHeader(t, f.certAssertion(t, testKey(t, 1), f.cert, nil), map[string]any{"alg": "HS256"}, false)), 401, "invalid_client", 700027},
		{"assertion for another client", testTenant, assertionForm(f.certAssertion(t, testKey(t, 1), f.cert, func(c map[string]any) {
			c["iss"], c["sub"] = otherAppID, otherAppID
		})), 400, "invalid_client", 700021},
		{"assertion with wrong subject", testTenant, assertionForm(f.certAssertion(t, testKey(t, 1), f.cert, func(c map[string]any) { c["sub"] = otherAppID })), 400, "invalid_client", 700021},
		{"assertion for another audience", testTenant, assertionForm(f.certAssertion(t, testKey(t, 1), f.cert, func(c map[string]any) {
			c["aud"] = "https://login.microsoftonline.com/" + testTenant + "/oauth2/v2.0/token"
		})), 401, "invalid_client", 700023},
		{"federated, app without credentials", testTenant, with(assertionForm(mintFed(f.svc, ghSubject, "", 0)), "client_id", otherAppID), 400, "invalid_request", 70021},
		{"federated, unknown issuer", testTenant, assertionForm(signTestJWT(t, testKey(t, 2), "RS256", nil, map[string]any{
			"iss": "https://token.actions.githubusercontent.com", "sub": ghSubject, "aud": entra.FederatedAudience, "exp": now.Add(time.Minute).Unix(),
		})), 400, "invalid_client", 700211},
		{"federated, wrong subject", testTenant, assertionForm(mintFed(f.svc, "repo:bayer/app:pull_request", "", 0)), 400, "invalid_client", 700213},
		{"federated, subject differs in case", testTenant, assertionForm(mintFed(f.svc, strings.ToUpper(ghSubject), "", 0)), 400, "invalid_client", 700213},
		{"federated, wrong audience", testTenant, assertionForm(mintFed(f.svc, ghSubject, "api://other", 0)), 400, "invalid_client", 700212},
		{"federated, expired", testTenant, assertionForm(mintFed(f.svc, ghSubject, "", -time.Minute)), 400, "invalid_client", 700024},
		{"federated, forged signature", testTenant, assertionForm(mintFed(forger, ghSubject, "", 0)), 401, "invalid_client", 700027},
		{"federated, external issuer", testTenant, assertionForm(signTestJWT(t, testKey(t, 2), "RS256", nil, map[string]any{
			"iss": "https://issuer.example.com", "sub": "s", "aud": entra.FederatedAudience, "exp": now.Add(time.Minute).Unix(),
		})), 400, "invalid_client", 50166},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.postToken(t, tc.tenant, tc.form)
			checkEntraError(t, status, body, tc.status, tc.error, tc.code)
		})
	}
}

// withHeader rewrites header fields of a signed JWT (keeping or dropping its signature), as an attacker
// who downgrades the algorithm would.
func withHeader(t *testing.T, tok string, fields map[string]any, dropSignature bool) string {
	t.Helper()
	header, _ := decodeClaims(t, tok)
	for k, v := range fields {
		header[k] = v
	}
	hb, _ := json.Marshal(header)
	parts := strings.Split(tok, ".")
	if dropSignature {
		parts[2] = ""
	}
	return base64.RawURLEncoding.EncodeToString(hb) + "." + parts[1] + "." + parts[2]
}

func checkEntraError(t *testing.T, status int, body map[string]any, wantStatus int, wantError string, wantCode int) {
	t.Helper()
	if status != wantStatus || body["error"] != wantError {
		delete(body, "access_token") // never print a token
		t.Fatalf("status %d error %v, want %d %s; body %v", status, body["error"], wantStatus, wantError, body)
	}
	codes, _ := body["error_codes"].([]any)
	if len(codes) != 1 || codes[0] != float64(wantCode) {
		t.Errorf("error_codes = %v, want [%d]", body["error_codes"], wantCode)
	}
	desc, _ := body["error_description"].(string)
	if !strings.HasPrefix(desc, "AADSTS"+itoa(wantCode)+": ") || !strings.Contains(desc, "\r\nTrace ID: ") {
		t.Errorf("error_description = %q", desc)
	}
	for _, k := range []string{"timestamp", "trace_id", "correlation_id"} {
		if s, _ := body[k].(string); s == "" {
			t.Errorf("%s missing", k)
		}
	}
}

// jstr returns a string field of a JSON object, or "" when it is absent or not a string.
func jstr(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func TestTokenEndpointRequestShape(t *testing.T) {
	f := newFixture(t)
	status, body := f.get(t, "/"+testTenant+"/oauth2/v2.0/token", nil)
	checkEntraError(t, status, body, 400, "invalid_request", 900561)

	cid := "0f0e0d0c-0b0a-4908-8706-050403020100"
	resp := emutest.Send(t, f.srv.Client(), http.MethodPost, f.tokenURL(testTenant), strings.NewReader(`{"grant_type":"client_credentials"}`),
		emutest.Bearer("", "application/json", "client-request-id", cid))
	out := resp.JSON(t)
	checkEntraError(t, resp.Status, out, 400, "invalid_request", 9002313)
	if out["correlation_id"] != cid {
		t.Errorf("correlation_id = %v, want the client-request-id %s", out["correlation_id"], cid)
	}
}

func TestDiscoveryAndKeys(t *testing.T) {
	f := newFixture(t)
	status, doc := f.get(t, "/"+testTenant+"/v2.0/.well-known/openid-configuration", nil)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	base := f.srv.URL + "/" + testTenant
	want := map[string]string{
		"issuer": base + "/v2.0", "token_endpoint": base + "/oauth2/v2.0/token",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize", "jwks_uri": base + "/discovery/v2.0/keys",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %s", k, doc[k], v)
		}
	}
	if f.svc.Issuer() != want["issuer"] || f.svc.TokenEndpoint() != want["token_endpoint"] {
		t.Errorf("Issuer/TokenEndpoint = %s %s", f.svc.Issuer(), f.svc.TokenEndpoint())
	}
	for _, tenant := range []string{"common", "organizations", strings.ToUpper(testTenant)} {
		if status, doc := f.get(t, "/"+tenant+"/v2.0/.well-known/openid-configuration", nil); status != http.StatusOK || doc["token_endpoint"] != f.srv.URL+"/"+tenant+"/oauth2/v2.0/token" {
			t.Errorf("%s discovery: %d %v", tenant, status, doc["token_endpoint"])
		}
	}
	status, doc = f.get(t, "/contoso.example/v2.0/.well-known/openid-configuration", nil)
	checkEntraError(t, status, doc, 400, "invalid_tenant", 90002)

	status, jwks := f.get(t, "/"+testTenant+"/discovery/v2.0/keys", nil)
	keysList, _ := jwks["keys"].([]any)
	if status != http.StatusOK || len(keysList) != 1 {
		t.Fatalf("JWKS %d %v", status, jwks)
	}
	jwk, _ := keysList[0].(map[string]any)
	n, _ := base64.RawURLEncoding.DecodeString(jstr(jwk, "n"))
	e, _ := base64.RawURLEncoding.DecodeString(jstr(jwk, "e"))
	pub := f.svc.SigningKey().PublicKey
	if new(big.Int).SetBytes(n).Cmp(pub.N) != 0 || int(new(big.Int).SetBytes(e).Int64()) != pub.E || jwk["kid"] != jwk["x5t"] || jwk["kty"] != "RSA" {
		t.Errorf("JWK does not describe the signing key: %v", jwk)
	}
	tok, err := f.svc.Mint(appID, nonprodAud, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := decodeClaims(t, tok); h["kid"] != jwk["kid"] {
		t.Errorf("token kid %v, JWKS kid %v", h["kid"], jwk["kid"])
	}
	if status, _ := f.get(t, "/"+testTenant+"/oauth2/v2.0/nothing", nil); status != http.StatusNotFound {
		t.Errorf("unknown path: status %d", status)
	}
}

func TestVerify(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	f := newFixture(t, withFixedClock(now))
	good, err := f.svc.Mint(appID, nonprodAud, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.svc.Verify(good, nonprodAud); err != nil || c.AppID != appID || !c.Expiry.Equal(now.Add(time.Hour)) || !c.IssuedAt.Equal(now) {
		t.Fatalf("Verify(good) = %+v, %v", c, err)
	}
	if _, err := f.svc.Verify(good); err != nil {
		t.Errorf("Verify without audiences: %v", err)
	}
	expired, _ := f.svc.Mint(appID, nonprodAud, -time.Second)
	otherSvc, err := entra.New(entra.Config{TenantID: testTenant, BaseURL: func() string { return f.srv.URL }, Directory: f.dir, SigningKey: testKey(t, 2)})
	if err != nil {
		t.Fatal(err)
	}
	foreignKey, _ := otherSvc.Mint(appID, nonprodAud, 0)
	parts := strings.Split(good, ".")
	_, claims := decodeClaims(t, good)
	claims["appid"] = otherAppID
	cb, _ := json.Marshal(claims)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(cb) + "." + parts[2]
	// A foreign-key token that reuses this service's kid must still fail on the signature.
	h, _ := decodeClaims(t, good)
	sameKid := signTestJWT(t, testKey(t, 2), "RS256", map[string]any{"kid": h["kid"], "x5t": h["kid"]}, claims)
	noneAlg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	wrongIssuer, _ := f.svc.MintClaims(entra.Claims{Audience: nonprodAud, AppID: appID, Issuer: "https://sts.windows.net/" + testTenant + "/"})
	wrongTenant, _ := f.svc.MintClaims(entra.Claims{Audience: nonprodAud, AppID: appID, TenantID: "99999999-2222-3333-4444-555555555555"})
	notYet, _ := f.svc.MintClaims(entra.Claims{Audience: nonprodAud, AppID: appID, NotBefore: now.Add(time.Minute)})

	cases := []struct {
		name string
		raw  string
		auds []string
		want error
	}{
		{"expired", expired, []string{nonprodAud}, entra.ErrExpired},
		{"wrong audience", good, []string{"api://livekit-platform-service.int.bayer.com"}, entra.ErrWrongAudience},
		{"foreign key", foreignKey, []string{nonprodAud}, entra.ErrInvalidToken},
		{"foreign key with our kid", sameKid, []string{nonprodAud}, entra.ErrInvalidToken},
		{"tampered payload", tampered, []string{nonprodAud}, entra.ErrInvalidToken},
		{"alg none", noneAlg, []string{nonprodAud}, entra.ErrInvalidToken},
		{"wrong issuer", wrongIssuer, []string{nonprodAud}, entra.ErrInvalidToken},
		{"wrong tenant", wrongTenant, []string{nonprodAud}, entra.ErrInvalidToken},
		{"not yet valid", notYet, []string{nonprodAud}, entra.ErrInvalidToken},
		{"garbage", "garbage", nil, entra.ErrInvalidToken},
		{"empty", "", nil, entra.ErrInvalidToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Verify(tc.raw, tc.auds...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			n := 0
			for _, s := range []error{entra.ErrInvalidToken, entra.ErrExpired, entra.ErrWrongAudience} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("err %v matches %d sentinels, want exactly 1", err, n)
			}
			if tc.raw != "" && len(tc.raw) > 20 && strings.Contains(err.Error(), tc.raw) {
				t.Error("error message contains the token")
			}
		})
	}
}

func TestMint(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.Mint("cccccccc-0000-0000-0000-000000000009", nonprodAud, 0); err == nil {
		t.Error("Mint for an unknown application succeeded")
	}
	if _, err := f.svc.Mint(appID, "", 0); err == nil {
		t.Error("Mint without audience succeeded")
	}
	tok, err := f.svc.Mint(appID, "https://graph.microsoft.com", 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.Verify(tok, "https://graph.microsoft.com")
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Expiry.Sub(c.IssuedAt); d != 5*time.Minute || len(c.Roles) != 1 {
		t.Errorf("lifetime %s roles %v", d, c.Roles)
	}
	user, err := f.svc.MintClaims(entra.Claims{Audience: nonprodAud, AppID: appID, ObjectID: "u1", Email: "jane.doe@bayer.com",
		GivenName: "Jane", FamilyName: "Doe", Name: "Jane Doe"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.svc.Verify(user, nonprodAud); err != nil || c.Email != "jane.doe@bayer.com" || c.GivenName != "Jane" || c.FamilyName != "Doe" || c.Name != "Jane Doe" {
		t.Errorf("user token = %+v, %v", c, err)
	}
	// A delegated token carries scp and wids (Graph tells it from an app-only token by scp); an
	// app-only token carries neither.
	delegated, err := f.svc.MintClaims(entra.Claims{Audience: "https://graph.microsoft.com", AppID: appID, ObjectID: "u2",
		Scopes: "Directory.AccessAsUser.All", DirectoryRoles: []string{"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.svc.Verify(delegated); err != nil || c.Scopes != "Directory.AccessAsUser.All" || len(c.DirectoryRoles) != 1 || len(c.Roles) != 0 {
		t.Errorf("delegated token = %+v, %v", c, err)
	}
	if c, err := f.svc.Verify(tok); err != nil || c.Scopes != "" || c.DirectoryRoles != nil {
		t.Errorf("app-only token = %+v, %v", c, err)
	}
}

func TestOIDCIssuerEndpoints(t *testing.T) {
	f := newFixture(t)
	if got := f.svc.OIDCIssuerNames(); len(got) != 3 || got[0] != "github" || got[1] != "kubernetes" || got[2] != "azure-devops" {
		t.Errorf("default issuers = %v", got)
	}
	issuerURL := f.srv.URL + "/oidc/kubernetes"
	if f.svc.OIDCIssuerURL("kubernetes") != issuerURL {
		t.Errorf("OIDCIssuerURL = %s", f.svc.OIDCIssuerURL("kubernetes"))
	}
	status, doc := f.get(t, "/oidc/kubernetes/.well-known/openid-configuration", nil)
	if status != http.StatusOK || doc["issuer"] != issuerURL || doc["jwks_uri"] != issuerURL+"/.well-known/jwks" {
		t.Fatalf("discovery %d %v", status, doc)
	}
	status, jwks := f.get(t, "/oidc/kubernetes/.well-known/jwks", nil)
	keysList, _ := jwks["keys"].([]any)
	if status != http.StatusOK || len(keysList) != 1 {
		t.Fatalf("JWKS %d %v", status, jwks)
	}

	tokenPath := "/oidc/kubernetes/token?audience=api%3A%2F%2Fcustom"
	reqToken := f.issuerRequestToken(t, "kubernetes")
	if reqToken == "" || reqToken == f.issuerRequestToken(t, "github") {
		t.Errorf("request tokens must be generated per issuer")
	}
	for name, h := range map[string]http.Header{
		"none":          nil,
		"wrong token":   {"Authorization": {"Bearer nope"}},
		"other issuer":  {"Authorization": {"Bearer " + f.issuerRequestToken(t, "github")}},
		"wrong scheme":  {"Authorization": {"Basic " + reqToken}},
		"empty bearer":  {"Authorization": {"Bearer "}},
		"missing space": {"Authorization": {"Bearer" + reqToken}},
	} {
		if status, _ := f.get(t, tokenPath, h); status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, status)
		}
	}
	status, body := f.get(t, tokenPath, http.Header{"Authorization": {"Bearer " + reqToken}})
	value, _ := body["value"].(string)
	if status != http.StatusOK || value == "" {
		t.Fatalf("token request: status %d, message %v", status, body["message"])
	}
	h, claims := decodeClaims(t, value)
	jwk, _ := keysList[0].(map[string]any)
	if claims["iss"] != issuerURL || claims["sub"] != "system:serviceaccount:default:lkps" || claims["aud"] != "api://custom" || h["kid"] != jwk["kid"] {
		t.Errorf("token header %v claims %v", h, claims)
	}
	n, _ := base64.RawURLEncoding.DecodeString(jstr(jwk, "n"))
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	parts := strings.Split(value, ".")
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("issuer token does not verify with the published JWKS: %v", err)
	}
	_, claims = decodeClaims(t, mustGet(t, f, "/oidc/kubernetes/token", reqToken))
	if claims["aud"] != entra.FederatedAudience {
		t.Errorf("default audience = %v", claims["aud"])
	}
	if status, _ := f.get(t, "/oidc/nobody/.well-known/openid-configuration", nil); status != http.StatusNotFound {
		t.Errorf("unknown issuer: status %d", status)
	}
	if _, err := f.svc.MintFederated("nobody", "s", "", 0); err == nil {
		t.Error("MintFederated for an unknown issuer succeeded")
	}
}

func mustGet(t *testing.T, f *fixture, path, bearer string) string {
	t.Helper()
	status, body := f.get(t, path, http.Header{"Authorization": {"Bearer " + bearer}})
	v, _ := body["value"].(string)
	if status != http.StatusOK || v == "" {
		t.Fatalf("GET %s: status %d, message %v", path, status, body["message"])
	}
	return v
}

func TestNewValidatesConfig(t *testing.T) {
	dir := &directory{}
	base := func() string { return "https://127.0.0.1:1" }
	cases := map[string]entra.Config{
		"tenant not a GUID":  {TenantID: "contoso", BaseURL: base, Directory: dir, SigningKey: testKey(t, 0)},
		"no base URL":        {TenantID: testTenant, Directory: dir, SigningKey: testKey(t, 0)},
		"no directory":       {TenantID: testTenant, BaseURL: base, SigningKey: testKey(t, 0)},
		"negative lifetime":  {TenantID: testTenant, BaseURL: base, Directory: dir, SigningKey: testKey(t, 0), TokenLifetime: -time.Second},
		"bad issuer name":    {TenantID: testTenant, BaseURL: base, Directory: dir, SigningKey: testKey(t, 0), Issuers: []entra.OIDCIssuer{{Name: "Git Hub"}}},
		"duplicate issuer":   {TenantID: testTenant, BaseURL: base, Directory: dir, SigningKey: testKey(t, 0), Issuers: []entra.OIDCIssuer{{Name: "a"}, {Name: "a"}}},
		"issuer name with /": {TenantID: testTenant, BaseURL: base, Directory: dir, SigningKey: testKey(t, 0), Issuers: []entra.OIDCIssuer{{Name: "a/b"}}},
	}
	for name, cfg := range cases {
		if _, err := entra.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	svc, err := entra.New(entra.Config{TenantID: testTenant, BaseURL: base, Directory: dir, SigningKey: testKey(t, 0), Issuers: []entra.OIDCIssuer{}})
	if err != nil || len(svc.OIDCIssuerNames()) != 0 {
		t.Errorf("empty issuer list: %v, %v", svc, err)
	}
}

// BenchmarkTokenEndpoint measures the handler cost of one client-secret token request (RS256 signing
// dominates), without TLS.
func BenchmarkTokenEndpoint(b *testing.B) {
	f := newFixture(b)
	body := secretForm(entraGraphScope).Encode()
	emutest.ServeLoop(b, f.svc.Handler(), http.MethodPost, "/"+testTenant+"/oauth2/v2.0/token", body, emutest.Bearer("", "application/x-www-form-urlencoded"))
}

// BenchmarkVerify measures access token verification, which every Graph and gateway request pays.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	tok, err := f.svc.Mint(appID, nonprodAud, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.Verify(tok, nonprodAud); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifyCachedTokenStillExpires shows that caching signature checks does not cache the verdict:
// a token that verified once is refused once its lifetime has passed.
func TestVerifyCachedTokenStillExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := newFixture(t, func(c *entra.Config) { c.Now = clock })
	const graph = "https://graph.microsoft.com"
	tok, err := f.svc.Mint(appID, graph, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := f.svc.Verify(tok, graph); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
	}
	c, _ := f.svc.Verify(tok, graph)
	c.Roles[0] = "Injected"
	if again, _ := f.svc.Verify(tok, graph); len(again.Roles) != 1 || again.Roles[0] != "Application.ReadWrite.All" {
		t.Errorf("a caller changed the cached claims: %v", again.Roles)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if _, err := f.svc.Verify(tok, graph); !errors.Is(err, entra.ErrExpired) {
		t.Errorf("after expiry: err = %v, want ErrExpired", err)
	}
}

// An Azure CLI user token: the CLI's client, the user's object id in lower case, scp and wids, no roles;
// a negative lifetime an expired token; an object id that is no GUID refused.
func TestMintUser(t *testing.T) {
	f := newFixture(t)
	tok, err := f.svc.MintUser(entra.UserToken{ObjectID: "AAAAAAAA-0000-4000-8000-000000000001", Audience: "https://graph.microsoft.com", DirectoryRoles: []string{"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.Verify(tok, "https://graph.microsoft.com")
	if err != nil || c.AppID != entra.AzureCLIAppID || c.AuthorizedParty != entra.AzureCLIAppID || c.ObjectID != "aaaaaaaa-0000-4000-8000-000000000001" ||
		c.Scopes == "" || len(c.Roles) != 0 || len(c.DirectoryRoles) != 1 {
		t.Fatalf("claims = %+v, %v", c, err)
	}
	expired, err := f.svc.MintUser(entra.UserToken{ObjectID: "aaaaaaaa-0000-4000-8000-000000000001", Audience: "https://graph.microsoft.com", Lifetime: -time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(expired); !errors.Is(err, entra.ErrExpired) {
		t.Errorf("negative lifetime: Verify = %v, want ErrExpired", err)
	}
	if _, err := f.svc.MintUser(entra.UserToken{ObjectID: "someone", Audience: "https://graph.microsoft.com"}); err == nil {
		t.Error("an object id that is no GUID was accepted")
	}
}
