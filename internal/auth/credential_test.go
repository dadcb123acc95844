package auth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the x5t thumbprint of JWT assertions is defined with SHA-1
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const (
	testScope     = "api://livekit-platform-service-np.int.bayer.com/.default"
	testUserAgent = "terraform-provider-lkps/1.2.3 Terraform/1.11.4"
	jwtBearer     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// seenRequest is what the fake services recorded about one request.
type seenRequest struct {
	path      string
	query     url.Values
	form      url.Values
	userAgent string
	header    http.Header
}

// fakeEntra is a tiny https Entra ID token service, a GitHub Actions ID token service and an IMDS-style
// managed identity endpoint on one httptest TLS server.
type fakeEntra struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	token    []seenRequest // token endpoint requests
	github   []seenRequest
	msi      []seenRequest
	ado      []seenRequest
	failWith int // when non-zero, the token endpoint answers this status with invalid_client

	githubIDToken string // the ID token the GitHub service hands out
	githubToken   string // the request token it expects
	msiStatus     int
}

func newFakeEntra(t *testing.T) *fakeEntra {
	t.Helper()
	f := &fakeEntra{t: t, githubIDToken: "gh-id-token", githubToken: "gh-request-token", msiStatus: http.StatusOK}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		base := f.srv.URL + "/" + r.PathValue("tenant")
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"issuer":                                base + "/v2.0",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt"},
		})
	})
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
			return
		}
		f.mu.Lock()
		f.token = append(f.token, seenRequest{path: r.URL.Path, form: r.PostForm, userAgent: r.UserAgent(), header: r.Header.Clone()})
		fail := f.failWith
		f.mu.Unlock()
		if fail != 0 {
			writeJSON(w, fail, map[string]string{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
			return
		}
		scope := r.PostForm.Get("scope")
		access := unsignedJWT(map[string]any{
			"aud": strings.TrimSuffix(strings.Fields(scope)[0], "/.default"),
			"azp": r.PostForm.Get("client_id"),
			"tid": r.PathValue("tenant"),
			"oid": "33333333-3333-3333-3333-333333333333",
			"exp": time.Now().Add(time.Hour).Unix(),
			"ver": "2.0",
		})
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": access})
	})
	mux.HandleFunc("GET /github/idtoken", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.github = append(f.github, seenRequest{path: r.URL.Path, query: r.URL.Query(), userAgent: r.UserAgent(), header: r.Header.Clone()})
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+f.githubToken {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "bad request token"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"count": 1, "value": f.githubIDToken})
	})
	// Azure DevOps' OIDC token request, as azidentity's AzurePipelinesCredential makes it: POST with
	// api-version=7.1 and serviceConnectionId, the job token as bearer, {"oidcToken": ...} back.
	mux.HandleFunc("POST /ado/oidctoken", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.ado = append(f.ado, seenRequest{path: r.URL.Path, query: r.URL.Query(), userAgent: r.UserAgent(), header: r.Header.Clone()})
		f.mu.Unlock()
		switch {
		case r.Header.Get("Authorization") != "Bearer "+f.githubToken:
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "bad job token"})
		case r.URL.Query().Get("api-version") != "7.1" || r.URL.Query().Get("serviceConnectionId") != "sc-1":
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "no such service connection"})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"oidcToken": f.githubIDToken})
		}
	})
	mux.HandleFunc("GET /msi/token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.msi = append(f.msi, seenRequest{path: r.URL.Path, query: r.URL.Query(), userAgent: r.UserAgent(), header: r.Header.Clone()})
		status := f.msiStatus
		f.mu.Unlock()
		if status != http.StatusOK {
			writeJSON(w, status, map[string]string{"error": "invalid_request", "error_description": "Identity not found"})
			return
		}
		if r.Header.Get("Metadata") != "true" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Required metadata header not specified"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": "msi-access-token-" + r.URL.Query().Get("resource"),
			"expires_in":   "3600",
			"resource":     r.URL.Query().Get("resource"),
			"token_type":   "Bearer",
		})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEntra) options() Options {
	return Options{AuthorityHost: f.srv.URL, Transport: f.srv.Client(), UserAgent: testUserAgent, TenantID: tenantA}
}

func (f *fakeEntra) tokenRequests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.token...)
}

func (f *fakeEntra) lastToken(t *testing.T) seenRequest {
	t.Helper()
	reqs := f.tokenRequests()
	if len(reqs) == 0 {
		t.Fatal("no request reached the token endpoint")
	}
	return reqs[len(reqs)-1]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func unsignedJWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + ".c2ln"
}

// getToken builds the credential and requests one token for scope.
func getToken(t *testing.T, cred azcore.TokenCredential, scope string) (azcore.AccessToken, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
}

// newCredential builds the credential the settings describe, against this token service.
func (f *fakeEntra) newCredential(t *testing.T, s Settings) (azcore.TokenCredential, Method) {
	t.Helper()
	cred, m, err := NewCredential(context.Background(), s, f.options())
	if err != nil {
		t.Fatal(err)
	}
	return cred, m
}

// tokenRequest gets a token with cred and returns the request that reached the token endpoint, after
// checking what every token request must carry (checkCommon).
func (f *fakeEntra) tokenRequest(t *testing.T, cred azcore.TokenCredential, clientID, tenant string) seenRequest {
	t.Helper()
	if _, err := getToken(t, cred, testScope); err != nil {
		t.Fatal(err)
	}
	req := f.lastToken(t)
	checkCommon(t, req, clientID, tenant)
	return req
}

// checkAssertion checks that the token request presented assertion as a JWT bearer client assertion.
func checkAssertion(t *testing.T, req seenRequest, assertion string) {
	t.Helper()
	if req.form.Get("client_assertion") != assertion || req.form.Get("client_assertion_type") != jwtBearer {
		t.Errorf("assertion = %q (%q)", req.form.Get("client_assertion"), req.form.Get("client_assertion_type"))
	}
}

// checkCommon checks what every token request must carry.
func checkCommon(t *testing.T, req seenRequest, clientID, tenant string) {
	t.Helper()
	if want := "/" + tenant + "/oauth2/v2.0/token"; req.path != want {
		t.Errorf("token request path = %q, want %q", req.path, want)
	}
	if got := req.form.Get("client_id"); got != clientID {
		t.Errorf("client_id = %q, want %q", got, clientID)
	}
	if got := req.form.Get("grant_type"); got != "client_credentials" {
		t.Errorf("grant_type = %q, want client_credentials", got)
	}
	if got := req.form.Get("scope"); !strings.Contains(got, testScope) {
		t.Errorf("scope = %q, want it to contain %q", got, testScope)
	}
	if !strings.HasPrefix(req.userAgent, testUserAgent+" ") || !strings.Contains(req.userAgent, "azsdk-go-azidentity/") {
		t.Errorf("User-Agent = %q, want %q followed by azcore's telemetry", req.userAgent, testUserAgent)
	}
}

// verifyAssertion checks a certificate client assertion: its thumbprint names cert and its signature
// verifies with cert's public key.
func verifyAssertion(t *testing.T, assertion string, cert *x509.Certificate) {
	t.Helper()
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		t.Fatalf("client_assertion is not a JWT")
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var header map[string]any
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		t.Fatal(err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("certificate key is %T, want RSA", cert.PublicKey)
	}
	signed := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch header["alg"] {
	case "PS256":
		want := sha256.Sum256(cert.Raw)
		if !thumbprintIs(header["x5t#S256"], want[:]) {
			t.Errorf("x5t#S256 = %v does not name the certificate", header["x5t#S256"])
		}
		if err := rsa.VerifyPSS(pub, crypto.SHA256, signed[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}); err != nil {
			t.Errorf("assertion signature does not verify: %v", err)
		}
	case "RS256":
		want := sha1.Sum(cert.Raw) //nolint:gosec // x5t is defined with SHA-1
		if !thumbprintIs(header["x5t"], want[:]) {
			t.Errorf("x5t = %v does not name the certificate", header["x5t"])
		}
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, signed[:], sig); err != nil {
			t.Errorf("assertion signature does not verify: %v", err)
		}
	default:
		t.Errorf("unexpected assertion alg %v", header["alg"])
	}
}

// thumbprintIs compares a JWT header thumbprint with want; MSAL writes standard base64 with padding,
// RFC 7515 says base64url, so both are accepted.
func thumbprintIs(v any, want []byte) bool {
	s, _ := v.(string)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding, base64.URLEncoding} {
		if got, err := enc.DecodeString(s); err == nil && string(got) == string(want) {
			return true
		}
	}
	return false
}

// fixtureCert is the certificate shared by every OpenSSL fixture, read from the clear part of one of them.
func fixtureCert(t *testing.T) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(fixture("client-encrypted.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatal("fixture does not start with a certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestNewCredentialClientSecret(t *testing.T) {
	f := newFakeEntra(t)
	cred, m := f.newCredential(t, Settings{ClientID: ptr(clientA), ClientSecret: ptr("the-client-secret")})
	if m.Kind != KindClientSecret || m.TenantID != tenantA || m.AuthorityHost != f.srv.URL {
		t.Errorf("method = %+v", m)
	}
	if _, ok := cred.(*azidentity.ClientSecretCredential); !ok {
		t.Errorf("credential is %T", cred)
	}
	tok, err := getToken(t, cred, testScope)
	if err != nil {
		t.Fatal(err)
	}
	req := f.lastToken(t)
	checkCommon(t, req, clientA, tenantA)
	if got := req.form.Get("client_secret"); got != "the-client-secret" {
		t.Errorf("client_secret = %q", got)
	}
	claims, err := UnverifiedClaims(tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	if claims.AppID != clientA || claims.TenantID != tenantA || claims.Audience != strings.TrimSuffix(testScope, "/.default") {
		t.Errorf("claims of the issued token = %+v", claims)
	}
}

func TestNewCredentialRejectedSecretDoesNotLeak(t *testing.T) {
	f := newFakeEntra(t)
	f.failWith = http.StatusUnauthorized
	cred, _ := f.newCredential(t, Settings{ClientID: ptr(clientA), ClientSecret: ptr("wrong-client-secret")})
	_, err := getToken(t, cred, testScope)
	if err == nil {
		t.Fatal("GetToken succeeded against a token service that refuses the secret")
	}
	if !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("error %q does not carry the service's answer", err)
	}
	if strings.Contains(err.Error(), "wrong-client-secret") {
		t.Errorf("error leaks the secret: %q", err)
	}
}

func TestNewCredentialClientCertificate(t *testing.T) {
	gen := generatedCert(t)
	fixed := fixtureCert(t)
	cases := []struct {
		name     string
		settings Settings
		cert     *x509.Certificate
	}{
		{"PEM generated, inline text", Settings{ClientCertificate: ptr(gen.pemPKCS8)}, gen.cert},
		{"PEM generated, inline base64", Settings{ClientCertificate: ptr(base64.StdEncoding.EncodeToString([]byte(gen.pemPKCS1)))}, gen.cert},
		{"PFX with password, path", Settings{ClientCertificatePath: ptr(fixture("client-password.pfx")), ClientCertificatePassword: ptr(fixturePFXPassword)}, fixed},
		{"PFX without password, inline base64", Settings{ClientCertificate: ptr(base64File(t, "client-nopassword.pfx"))}, fixed},
		{"PEM with encrypted key (AES-256, SHA-256), path", Settings{ClientCertificatePath: ptr(fixture("client-encrypted.pem")), ClientCertificatePassword: ptr(fixturePEMPassword)}, fixed},
		{"PEM with encrypted key (AES-128, SHA-1), inline base64", Settings{ClientCertificate: ptr(base64File(t, "client-encrypted-aes128-sha1.pem")), ClientCertificatePassword: ptr(fixturePEMPassword)}, fixed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEntra(t)
			s := tc.settings
			s.ClientID = ptr(clientB)
			cred, m := f.newCredential(t, s)
			if m.Kind != KindClientCertificate {
				t.Errorf("kind = %s", m.Kind)
			}
			req := f.tokenRequest(t, cred, clientB, tenantA)
			if got := req.form.Get("client_assertion_type"); got != jwtBearer {
				t.Errorf("client_assertion_type = %q", got)
			}
			if req.form.Has("client_secret") {
				t.Error("a certificate credential sent a client_secret")
			}
			verifyAssertion(t, req.form.Get("client_assertion"), tc.cert)
		})
	}
}

func TestNewCredentialOIDCStaticToken(t *testing.T) {
	f := newFakeEntra(t)
	cred, m := f.newCredential(t, Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("static-id-token")})
	if m.Kind != KindOIDCToken {
		t.Errorf("kind = %s", m.Kind)
	}
	req := f.tokenRequest(t, cred, clientA, tenantA)
	checkAssertion(t, req, "static-id-token")
}

func TestNewCredentialOIDCTokenFileIsReRead(t *testing.T) {
	f := newFakeEntra(t)
	path := writeFile(t, t.TempDir(), "token", "first-id-token\n")
	cred, m := f.newCredential(t, Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCTokenFilePath: ptr(path)})
	if m.Kind != KindOIDCTokenFile {
		t.Errorf("kind = %s", m.Kind)
	}
	if _, err := getToken(t, cred, testScope); err != nil {
		t.Fatal(err)
	}
	if got := f.lastToken(t).form.Get("client_assertion"); got != "first-id-token" {
		t.Errorf("first assertion = %q", got)
	}
	writeFile(t, filepath.Dir(path), "token", "second-id-token")
	// Another scope is not in MSAL's cache, so a new assertion is needed.
	if _, err := getToken(t, cred, environments.GraphScope); err != nil {
		t.Fatal(err)
	}
	if got := f.lastToken(t).form.Get("client_assertion"); got != "second-id-token" {
		t.Errorf("assertion after rotation = %q, want the file's new contents", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, err := getToken(t, cred, "https://third.example/.default")
	if err == nil || !strings.Contains(err.Error(), "`oidc_token_file_path` (ARM_OIDC_TOKEN_FILE_PATH)") {
		t.Errorf("error after the file vanished = %v, want one naming the setting", err)
	}
}

func TestNewCredentialGitHubOIDC(t *testing.T) {
	f := newFakeEntra(t)
	s := Settings{
		UseOIDC:          ptr(true),
		ClientID:         ptr(clientA),
		OIDCRequestURL:   ptr(f.srv.URL + "/github/idtoken?api-version=2.0"),
		OIDCRequestToken: ptr(f.githubToken),
	}
	cred, m := f.newCredential(t, s)
	if m.Kind != KindGitHubOIDC {
		t.Errorf("kind = %s", m.Kind)
	}
	if _, err := getToken(t, cred, testScope); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	gh := append([]seenRequest(nil), f.github...)
	f.mu.Unlock()
	if len(gh) != 1 {
		t.Fatalf("GitHub service saw %d requests, want 1", len(gh))
	}
	if got := gh[0].query.Get("audience"); got != "api://AzureADTokenExchange" {
		t.Errorf("audience = %q", got)
	}
	if got := gh[0].query.Get("api-version"); got != "2.0" {
		t.Errorf("the request URL's own query was lost: api-version = %q", got)
	}
	if got := gh[0].header.Get("Authorization"); got != "Bearer "+f.githubToken {
		t.Errorf("Authorization = %q", got)
	}
	if !strings.HasPrefix(gh[0].userAgent, testUserAgent) {
		t.Errorf("GitHub request User-Agent = %q", gh[0].userAgent)
	}
	req := f.lastToken(t)
	checkCommon(t, req, clientA, tenantA)
	if got := req.form.Get("client_assertion"); got != f.githubIDToken {
		t.Errorf("client_assertion = %q, want GitHub's ID token", got)
	}
}

func TestNewCredentialGitHubOIDCRefused(t *testing.T) {
	f := newFakeEntra(t)
	s := Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCRequestURL: ptr(f.srv.URL + "/github/idtoken"), OIDCRequestToken: ptr("stale-request-token")}
	cred, _ := f.newCredential(t, s)
	_, err := getToken(t, cred, testScope)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), "id-token: write") {
		t.Errorf("error = %v, want the 403 with a hint", err)
	}
	if err != nil && strings.Contains(err.Error(), "stale-request-token") {
		t.Errorf("error leaks the request token: %v", err)
	}
	if n := len(f.tokenRequests()); n != 0 {
		t.Errorf("token endpoint saw %d requests without an assertion", n)
	}
}

func TestNewCredentialAKSWorkloadIdentity(t *testing.T) {
	f := newFakeEntra(t)
	s := FromEnv(envFunc(map[string]string{
		"ARM_USE_AKS_WORKLOAD_IDENTITY": "true",
		"AZURE_FEDERATED_TOKEN_FILE":    writeFile(t, t.TempDir(), "aks", "projected-sa-token"),
		"AZURE_CLIENT_ID":               clientB,
		"AZURE_TENANT_ID":               tenantB,
	}))
	cred, m := f.newCredential(t, s)
	if m.Kind != KindAKSWorkloadIdentity || m.TenantID != tenantB || m.ClientID != clientB {
		t.Errorf("method = %+v", m)
	}
	if _, ok := cred.(*azidentity.WorkloadIdentityCredential); !ok {
		t.Errorf("credential is %T", cred)
	}
	req := f.tokenRequest(t, cred, clientB, tenantB)
	if got := req.form.Get("client_assertion"); got != "projected-sa-token" {
		t.Errorf("client_assertion = %q", got)
	}
}

func TestNewCredentialManagedIdentityCustomEndpoint(t *testing.T) {
	f := newFakeEntra(t)
	s := Settings{UseMSI: ptr(true), ClientID: ptr(clientA), MSIEndpoint: ptr(f.srv.URL + "/msi/token")}
	cred, m := f.newCredential(t, s)
	if m.Kind != KindManagedIdentity || m.MSIEndpoint != f.srv.URL+"/msi/token" {
		t.Errorf("method = %+v", m)
	}
	msi, ok := cred.(*msiEndpointCredential)
	if !ok {
		t.Fatalf("credential is %T", cred)
	}
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	msi.now = func() time.Time { return now }

	tok, err := getToken(t, cred, testScope)
	if err != nil {
		t.Fatal(err)
	}
	resource := strings.TrimSuffix(testScope, "/.default")
	if tok.Token != "msi-access-token-"+resource || !tok.ExpiresOn.Equal(now.Add(time.Hour)) {
		t.Errorf("token = %q expiring %v", tok.Token, tok.ExpiresOn)
	}
	f.mu.Lock()
	first := f.msi[0]
	f.mu.Unlock()
	if first.query.Get("resource") != resource || first.query.Get("client_id") != clientA || first.query.Get("api-version") != "2018-02-01" {
		t.Errorf("query = %v", first.query)
	}
	if !strings.HasPrefix(first.userAgent, testUserAgent) {
		t.Errorf("User-Agent = %q", first.userAgent)
	}

	// Cached until shortly before expiry, then fetched again.
	if _, err := getToken(t, cred, testScope); err != nil {
		t.Fatal(err)
	}
	now = now.Add(56 * time.Minute)
	if _, err := getToken(t, cred, testScope); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	n := len(f.msi)
	f.mu.Unlock()
	if n != 2 {
		t.Errorf("endpoint saw %d requests, want 2 (one cached answer, one refresh)", n)
	}

	f.mu.Lock()
	f.msiStatus = http.StatusBadRequest
	f.mu.Unlock()
	_, err = getToken(t, cred, environments.GraphScope)
	if err == nil || !strings.Contains(err.Error(), "HTTP 400: invalid_request: Identity not found") {
		t.Errorf("error = %v, want the endpoint's error", err)
	}
}

func TestNewCredentialHostedMethodsAreBuiltWithoutNetwork(t *testing.T) {
	opts := Options{Transport: http.DefaultClient}
	cred, m, err := NewCredential(context.Background(), Settings{UseMSI: ptr(true), ClientID: ptr(clientA)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cred.(*azidentity.ManagedIdentityCredential); !ok || m.Kind != KindManagedIdentity {
		t.Errorf("managed identity: %T, %s", cred, m.Kind)
	}
	cred, m, err = NewCredential(context.Background(), Settings{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing configured: the CLI as a fallback, whose failures mean "no credentials at all".
	if fb, ok := cred.(cliFallbackCredential); !ok || m.Kind != KindAzureCLI || !m.Fallback {
		t.Errorf("CLI fallback: %T, %s, %v", cred, m.Kind, m.Fallback)
	} else if _, ok := fb.inner.(*azidentity.AzureCLICredential); !ok {
		t.Errorf("CLI fallback wraps %T", fb.inner)
	}
	cred, m, err = NewCredential(context.Background(), Settings{UseCLI: ptr(true)}, opts)
	if _, ok := cred.(*azidentity.AzureCLICredential); err != nil || !ok || m.Fallback {
		t.Errorf("CLI asked for: %T, %v, %v", cred, m.Fallback, err)
	}
	if m.TenantID != environments.BayerTenantID || m.AuthorityHost != environments.PublicAuthorityHost {
		t.Errorf("defaults: tenant %q, authority %q", m.TenantID, m.AuthorityHost)
	}
}

func TestNewCredentialAuthorityAndTenant(t *testing.T) {
	f := newFakeEntra(t)
	// The settings' authority host wins over the options'.
	opts := f.options()
	opts.AuthorityHost = "https://unreachable.invalid"
	s := Settings{ClientID: ptr(clientA), ClientSecret: ptr("s"), AuthorityHost: ptr(f.srv.URL), TenantID: ptr(tenantB)}
	cred, m, err := NewCredential(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if m.AuthorityHost != f.srv.URL || m.TenantID != tenantB {
		t.Errorf("method = %+v", m)
	}
	f.tokenRequest(t, cred, clientA, tenantB)

	// Options.TenantID empty: the Bayer tenant.
	opts.TenantID = ""
	_, m, err = NewCredential(context.Background(), Settings{ClientID: ptr(clientA), ClientSecret: ptr("s")}, Options{AuthorityHost: f.srv.URL})
	if err != nil || m.TenantID != environments.BayerTenantID {
		t.Errorf("default tenant: %v, %v", m.TenantID, err)
	}

	// An http authority in the options is refused up front.
	_, _, err = NewCredential(context.Background(), Settings{ClientID: ptr(clientA), ClientSecret: ptr("s")}, Options{AuthorityHost: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("http authority: %v", err)
	}

	// Resolve errors pass through unchanged.
	_, _, err = NewCredential(context.Background(), Settings{ClientSecret: ptr("s")}, opts)
	var cfg *ConfigError
	if !errors.As(err, &cfg) || cfg.Attribute != "client_id" {
		t.Errorf("resolve error: %v", err)
	}

	// A cancelled context is refused.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := NewCredential(ctx, Settings{}, opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestNewAgentCredential(t *testing.T) {
	gen := generatedCert(t)
	t.Run("secret", func(t *testing.T) {
		f := newFakeEntra(t)
		cred, m, err := NewAgentCredential(context.Background(), AgentSettings{ClientID: clientB, ClientSecret: "agent-secret"}, f.options())
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != KindClientSecret || m.ClientID != clientB || m.TenantID != tenantA {
			t.Errorf("method = %+v", m)
		}
		req := f.tokenRequest(t, cred, clientB, tenantA)
		if req.form.Get("client_secret") != "agent-secret" {
			t.Error("agent secret not sent")
		}
	})
	t.Run("certificate", func(t *testing.T) {
		f := newFakeEntra(t)
		a := AgentSettings{ClientID: clientB, TenantID: tenantB, ClientCertificate: base64File(t, "client-password.pfx"), ClientCertificatePassword: fixturePFXPassword}
		cred, m, err := NewAgentCredential(context.Background(), a, f.options())
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != KindClientCertificate || m.TenantID != tenantB {
			t.Errorf("method = %+v", m)
		}
		req := f.tokenRequest(t, cred, clientB, tenantB)
		verifyAssertion(t, req.form.Get("client_assertion"), fixtureCert(t))
	})
	errCases := []struct {
		name     string
		a        AgentSettings
		attr     string
		contains string
	}{
		{"no client id", AgentSettings{ClientSecret: "x"}, "client_id", "`client_id` of the agent application is required"},
		{"no credential", AgentSettings{ClientID: clientB}, "client_secret", "needs a credential"},
		{"both", AgentSettings{ClientID: clientB, ClientSecret: "x", ClientCertificate: gen.pemPKCS8}, "client_secret", "both set"},
		{"password without certificate", AgentSettings{ClientID: clientB, ClientSecret: "x", ClientCertificatePassword: "p"}, "client_certificate_password", "`client_certificate` is not"},
		{"bad certificate", AgentSettings{ClientID: clientB, ClientCertificate: "%%%"}, "client_certificate", "neither PEM text nor base64"},
		{"wrong password", AgentSettings{ClientID: clientB, ClientCertificate: base64File(t, "client-password.pfx"), ClientCertificatePassword: "nope-password"}, "client_certificate_password", "does not decrypt"},
		{"bad tenant", AgentSettings{ClientID: clientB, ClientSecret: "x", TenantID: "a b"}, "tenant_id", "must be a tenant ID"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := NewAgentCredential(context.Background(), tc.a, Options{})
			var cfg *ConfigError
			if !errors.As(err, &cfg) || cfg.Attribute != tc.attr {
				t.Fatalf("error = %v, want a ConfigError for %s", err, tc.attr)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
			if strings.Contains(err.Error(), "ARM_") {
				t.Errorf("agent error names a provider variable: %q", err)
			}
			if strings.Contains(err.Error(), "nope-password") {
				t.Errorf("agent error leaks the password: %q", err)
			}
		})
	}
	printed := fmt.Sprintf("%v %+v %#v", AgentSettings{ClientID: clientB, ClientSecret: "agent-s3cret"}, AgentSettings{ClientCertificatePassword: "agent-s3cret"}, AgentSettings{ClientCertificate: "agent-s3cret"})
	if strings.Contains(printed, "agent-s3cret") || !strings.Contains(printed, clientB) {
		t.Errorf("AgentSettings printed as %s", printed)
	}
}

// Azure DevOps workload identity federation as azuread reads it: the service connection ID from
// ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID (or ARM_OIDC_AZURE_SERVICE_CONNECTION_ID), the request URL and
// token from SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN when ARM_OIDC_REQUEST_* are unset.
func TestNewCredentialAzureDevOpsOIDC(t *testing.T) {
	for _, connVar := range []string{EnvADOServiceConnectionID, EnvOIDCAzureServiceConnectionID} {
		t.Run(connVar, func(t *testing.T) {
			f := newFakeEntra(t)
			env := map[string]string{
				EnvUseOIDC: "true", EnvClientID: clientA, connVar: "sc-1",
				EnvADORequestURL: f.srv.URL + "/ado/oidctoken", EnvADORequestToken: f.githubToken,
			}
			s := FromEnv(func(k string) string { return env[k] })
			if strings.Contains(s.String(), f.githubToken) {
				t.Errorf("Settings.String shows the job token: %s", s)
			}
			cred, m := f.newCredential(t, s)
			if m.Kind != KindAzureDevOpsOIDC || !strings.Contains(m.Reason, "SYSTEM_OIDCREQUESTURI") {
				t.Errorf("method %s", m)
			}
			if _, err := getToken(t, cred, testScope); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			ado := append([]seenRequest(nil), f.ado...)
			f.mu.Unlock()
			if len(ado) != 1 || ado[0].header.Get("X-TFS-FedAuthRedirect") != "Suppress" {
				t.Fatalf("Azure DevOps saw %d requests: %+v", len(ado), ado)
			}
			req := f.lastToken(t)
			if got := req.form.Get("client_assertion"); got != f.githubIDToken {
				t.Errorf("client_assertion = %q, want Azure DevOps' ID token", got)
			}
			// The agent's registration through its own federated credential presents the same token.
			agent, _, err := FederatedCredentialFor(context.Background(), m, clientB, f.options())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := getToken(t, agent, testScope); err != nil {
				t.Fatal(err)
			}
			if req := f.lastToken(t); req.form.Get("client_id") != clientB || req.form.Get("client_assertion") != f.githubIDToken {
				t.Errorf("the agent's token request: client_id %q", req.form.Get("client_id"))
			}
		})
	}
}

func TestResolveAzureDevOpsOIDCMissingJobToken(t *testing.T) {
	s := Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), ADOServiceConnectionID: ptr("sc-1"), ADORequestURL: ptr("https://dev.azure.com/o/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken")}
	_, err := Resolve(s)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Attribute != "oidc_request_token" || !strings.Contains(err.Error(), "SYSTEM_ACCESSTOKEN: $(System.AccessToken)") {
		t.Fatalf("error %v, want one on oidc_request_token naming the step's env mapping", err)
	}
}

func TestNewCredentialAzureDevOpsOIDCRefused(t *testing.T) {
	f := newFakeEntra(t)
	s := Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), ADOServiceConnectionID: ptr("sc-other"),
		OIDCRequestURL: ptr(f.srv.URL + "/ado/oidctoken"), OIDCRequestToken: ptr(f.githubToken)}
	cred, m, err := NewCredential(context.Background(), s, f.options())
	if err != nil || m.Kind != KindAzureDevOpsOIDC {
		t.Fatalf("%v %s", err, m)
	}
	_, err = getToken(t, cred, testScope)
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "service connection sc-other") ||
		strings.Contains(err.Error(), f.githubToken) {
		t.Errorf("error = %v, want the 404 naming the service connection, without the token", err)
	}
}
