package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	clientA = "11111111-1111-1111-1111-111111111111"
	clientB = "22222222-2222-2222-2222-222222222222"
	tenantA = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
	tenantB = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
)

// resolveCase is one row of TestResolve. settings builds the settings, given a temporary directory for files.
type resolveCase struct {
	name     string
	settings func(t *testing.T, dir string) Settings

	// On success:
	kind       Kind
	clientID   string
	tenantID   string
	reason     string   // substring of Method.Reason
	notes      []string // substrings, one per expected note, in order
	msiEndpnt  string
	secretWant func(t *testing.T, dir string, s *methodSecrets)

	// On failure:
	errAttr     string   // ConfigError.Attribute
	errContains []string // substrings of the message
	errIs       error    // errors.Is target
	noLeak      []string // values that must not appear in the error
}

func TestResolve(t *testing.T) {
	gen := generatedCert(t)
	cases := []resolveCase{
		// Azure CLI, the default.
		{
			name:     "nothing set: Azure CLI by default",
			settings: func(*testing.T, string) Settings { return Settings{} },
			kind:     KindAzureCLI, reason: "defaults to true",
		},
		{
			name:     "use_cli true explicitly",
			settings: func(*testing.T, string) Settings { return Settings{UseCLI: ptr(true), TenantID: ptr(tenantA)} },
			kind:     KindAzureCLI, tenantID: tenantA, reason: "`use_cli` (ARM_USE_CLI) is true",
		},
		{
			name:     "Azure CLI ignores client_id",
			settings: func(*testing.T, string) Settings { return Settings{ClientID: ptr(clientA)} },
			kind:     KindAzureCLI, clientID: "",
		},
		{
			name:     "use_cli false and nothing else",
			settings: func(*testing.T, string) Settings { return Settings{UseCLI: ptr(false), ClientID: ptr(clientA)} },
			errAttr:  "use_cli", errContains: []string{"no authentication method is usable", "`use_cli` (ARM_USE_CLI) is false"},
		},
		{
			name: "msi_endpoint without use_msi is noted",
			settings: func(*testing.T, string) Settings {
				return Settings{MSIEndpoint: ptr("http://127.0.0.1:1/msi")}
			},
			kind: KindAzureCLI, notes: []string{"`msi_endpoint` (ARM_MSI_ENDPOINT) is set but ignored"},
		},
		{
			name: "oidc_token without use_oidc is noted and ignored",
			settings: func(*testing.T, string) Settings {
				return Settings{OIDCToken: ptr("tok"), ClientID: ptr(clientA)}
			},
			kind: KindAzureCLI, notes: []string{"`oidc_token` (ARM_OIDC_TOKEN) is set but ignored"},
		},

		// Client secret.
		{
			name: "client secret",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecret: ptr("the-secret"), TenantID: ptr(tenantA)}
			},
			kind: KindClientSecret, clientID: clientA, tenantID: tenantA, reason: "`client_secret` (ARM_CLIENT_SECRET) is set",
			secretWant: func(t *testing.T, _ string, s *methodSecrets) {
				if s.clientSecret != "the-secret" {
					t.Errorf("secret not carried")
				}
			},
		},
		{
			name: "client secret is trimmed",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(" " + clientA + "\n"), ClientSecret: ptr(" the-secret\n")}
			},
			kind: KindClientSecret, clientID: clientA,
			secretWant: func(t *testing.T, _ string, s *methodSecrets) {
				if s.clientSecret != "the-secret" {
					t.Errorf("secret not trimmed: %d bytes", len(s.clientSecret))
				}
			},
		},
		{
			name:     "client secret without client id",
			settings: func(*testing.T, string) Settings { return Settings{ClientSecret: ptr("the-secret")} },
			errAttr:  "client_id", errContains: []string{"`client_secret` (ARM_CLIENT_SECRET) is set", "`client_id` (ARM_CLIENT_ID)"},
			noLeak: []string{"the-secret"},
		},
		{
			name: "client secret from file",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecretFilePath: ptr(writeFile(t, dir, "secret", "file-secret\n"))}
			},
			kind: KindClientSecret, clientID: clientA, reason: "`client_secret_file_path` (ARM_CLIENT_SECRET_FILE_PATH) is set",
			secretWant: func(t *testing.T, _ string, s *methodSecrets) {
				if s.clientSecret != "file-secret" {
					t.Errorf("file secret not read and trimmed")
				}
			},
		},
		{
			name: "client secret inline and from file agree",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecret: ptr("same"), ClientSecretFilePath: ptr(writeFile(t, dir, "secret", " same "))}
			},
			kind: KindClientSecret, clientID: clientA,
		},
		{
			name: "client secret inline and from file differ",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecret: ptr("inline-value"), ClientSecretFilePath: ptr(writeFile(t, dir, "secret", "file-value"))}
			},
			errAttr: "client_secret", errContains: []string{"`client_secret` (ARM_CLIENT_SECRET)", "`client_secret_file_path` (ARM_CLIENT_SECRET_FILE_PATH)", "differ"},
			noLeak: []string{"inline-value", "file-value"},
		},
		{
			name: "client secret file missing",
			settings: func(_ *testing.T, dir string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecretFilePath: ptr(filepath.Join(dir, "absent"))}
			},
			errAttr: "client_secret_file_path", errContains: []string{"`client_secret_file_path` (ARM_CLIENT_SECRET_FILE_PATH)"}, errIs: fs.ErrNotExist,
		},
		{
			name: "client secret file empty",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecretFilePath: ptr(writeFile(t, dir, "secret", " \n"))}
			},
			errAttr: "client_secret_file_path", errContains: []string{"is empty"},
		},
		{
			name: "client secret wins over use_msi and use_oidc, with notes",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecret: ptr("s"), UseMSI: ptr(true), UseOIDC: ptr(true), OIDCToken: ptr("t")}
			},
			kind: KindClientSecret, clientID: clientA,
			notes: []string{"`use_oidc` (ARM_USE_OIDC) is true but ignored", "`use_msi` (ARM_USE_MSI) is true but ignored"},
		},

		// Client ID from a file.
		{
			name: "client id from file",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{ClientIDFilePath: ptr(writeFile(t, dir, "id", clientB+"\n")), ClientSecret: ptr("s")}
			},
			kind: KindClientSecret, clientID: clientB,
		},
		{
			name: "client id inline and from file differ",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{ClientID: ptr(clientA), ClientIDFilePath: ptr(writeFile(t, dir, "id", clientB)), ClientSecret: ptr("s")}
			},
			errAttr: "client_id", errContains: []string{"`client_id_file_path` (ARM_CLIENT_ID_FILE_PATH)", "differ"},
		},
		{
			name: "client id file missing",
			settings: func(_ *testing.T, dir string) Settings {
				return Settings{ClientIDFilePath: ptr(filepath.Join(dir, "absent")), ClientSecret: ptr("s")}
			},
			errAttr: "client_id_file_path", errIs: fs.ErrNotExist,
		},

		// Client certificate.
		{
			name: "certificate inline PEM text",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificate: ptr(gen.pemPKCS8)}
			},
			kind: KindClientCertificate, clientID: clientA, reason: "`client_certificate` (ARM_CLIENT_CERTIFICATE) is set",
			secretWant: func(t *testing.T, _ string, s *methodSecrets) {
				if len(s.certs) != 1 || !s.certs[0].Equal(gen.cert) || s.key == nil {
					t.Errorf("certificate not parsed")
				}
			},
		},
		{
			name: "certificate inline base64 of PEM with PKCS#1 key",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificate: ptr(base64.StdEncoding.EncodeToString([]byte(gen.pemPKCS1)))}
			},
			kind: KindClientCertificate, clientID: clientA,
		},
		{
			name: "certificate inline base64 of PFX with password",
			settings: func(t *testing.T, _ string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificate: ptr(base64File(t, "client-password.pfx")), ClientCertificatePassword: ptr(fixturePFXPassword)}
			},
			kind: KindClientCertificate, clientID: clientA,
		},
		{
			name: "certificate path PFX without password",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture("client-nopassword.pfx"))}
			},
			kind: KindClientCertificate, clientID: clientA, reason: "`client_certificate_path` (ARM_CLIENT_CERTIFICATE_PATH) is set",
		},
		{
			name: "certificate path encrypted PEM with password",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture("client-encrypted.pem")), ClientCertificatePassword: ptr(fixturePEMPassword)}
			},
			kind: KindClientCertificate, clientID: clientA,
		},
		{
			name: "certificate wins over client secret, with a note",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificate: ptr(gen.pemPKCS8), ClientSecret: ptr("s"), UseMSI: ptr(true)}
			},
			kind: KindClientCertificate, clientID: clientA,
			notes: []string{"`client_secret` (ARM_CLIENT_SECRET) is set but ignored", "`use_msi` (ARM_USE_MSI) is true but ignored"},
		},
		{
			name: "certificate inline and path both set",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificate: ptr(gen.pemPKCS8), ClientCertificatePath: ptr(fixture("client-nopassword.pfx"))}
			},
			errAttr: "client_certificate", errContains: []string{"`client_certificate` (ARM_CLIENT_CERTIFICATE) and `client_certificate_path` (ARM_CLIENT_CERTIFICATE_PATH) are both set"},
		},
		{
			name: "certificate password without certificate",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecret: ptr("s"), ClientCertificatePassword: ptr("pw-value")}
			},
			errAttr: "client_certificate_password", errContains: []string{"`client_certificate_password` (ARM_CLIENT_CERTIFICATE_PASSWORD) is set"},
			noLeak: []string{"pw-value"},
		},
		{
			name: "certificate without client id",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientCertificate: ptr(gen.pemPKCS8)}
			},
			errAttr: "client_id", errContains: []string{"`client_certificate` (ARM_CLIENT_CERTIFICATE) is set, but a client certificate needs a client ID"},
		},
		{
			name: "certificate neither PEM nor base64",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificate: ptr("not*base64!")}
			},
			errAttr: "client_certificate", errContains: []string{"neither PEM text nor base64"}, noLeak: []string{"not*base64!"},
		},
		{
			name: "certificate base64 of garbage",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificate: ptr(base64.StdEncoding.EncodeToString([]byte("garbage bytes")))}
			},
			errAttr: "client_certificate", errContains: []string{"neither a PKCS#12"},
		},
		{
			name: "certificate path missing",
			settings: func(_ *testing.T, dir string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(filepath.Join(dir, "absent.pfx"))}
			},
			errAttr: "client_certificate_path", errIs: fs.ErrNotExist,
		},
		{
			name: "PFX with wrong password",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture("client-password.pfx")), ClientCertificatePassword: ptr("wrong-pw")}
			},
			errAttr: "client_certificate_password", errContains: []string{"does not decrypt"}, noLeak: []string{"wrong-pw"},
		},
		{
			name: "PFX needing a password without one",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture("client-password.pfx"))}
			},
			errAttr: "client_certificate_password", errContains: []string{"protected by a password"},
		},
		{
			name: "PFX with OpenSSL 3 default algorithms",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture("client-aes.pfx")), ClientCertificatePassword: ptr(fixturePFXPassword)}
			},
			errAttr: "client_certificate_path", errContains: []string{"PBE-SHA1-3DES"},
		},
		{
			name: "encrypted PEM without password",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture("client-encrypted.pem"))}
			},
			errAttr: "client_certificate_password", errContains: []string{"encrypted; set `client_certificate_password`"},
		},
		{
			name: "encrypted PEM with wrong password",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture("client-encrypted.pem")), ClientCertificatePassword: ptr("wrong-pw")}
			},
			errAttr: "client_certificate_password", errContains: []string{"does not decrypt"}, noLeak: []string{"wrong-pw"},
		},
		{
			name: "legacy encrypted PEM",
			settings: func(*testing.T, string) Settings {
				return Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture("client-legacy-encrypted.pem")), ClientCertificatePassword: ptr(fixturePEMPassword)}
			},
			errAttr: "client_certificate_path", errContains: []string{"legacy OpenSSL PEM encryption", "openssl pkcs8 -topk8"},
		},
		{
			name: "PEM with a certificate but no key",
			settings: func(*testing.T, string) Settings {
				certOnly := gen.pemPKCS8[:strings.Index(gen.pemPKCS8, "-----BEGIN PRIVATE KEY")]
				return Settings{ClientID: ptr(clientA), ClientCertificate: ptr(certOnly)}
			},
			errAttr: "client_certificate", errContains: []string{"not a certificate with its private key"},
		},

		// OIDC.
		{
			name: "OIDC static token",
			settings: func(*testing.T, string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("id-token")}
			},
			kind: KindOIDCToken, clientID: clientA, reason: "`use_oidc` (ARM_USE_OIDC) is true and `oidc_token` (ARM_OIDC_TOKEN) is set",
			secretWant: func(t *testing.T, _ string, s *methodSecrets) {
				if s.oidcToken != "id-token" {
					t.Errorf("token not carried")
				}
			},
		},
		{
			name: "OIDC token file",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCTokenFilePath: ptr(writeFile(t, dir, "tok", "file-token\n"))}
			},
			kind: KindOIDCTokenFile, clientID: clientA, reason: "`oidc_token_file_path` (ARM_OIDC_TOKEN_FILE_PATH) is set",
			secretWant: func(t *testing.T, dir string, s *methodSecrets) {
				if s.tokenFile != filepath.Join(dir, "tok") {
					t.Errorf("token file = %q", s.tokenFile)
				}
			},
		},
		{
			name: "OIDC token and token file agree: the file wins so it can be re-read",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("same"), OIDCTokenFilePath: ptr(writeFile(t, dir, "tok", "same"))}
			},
			kind: KindOIDCTokenFile, clientID: clientA,
		},
		{
			name: "OIDC token and token file differ",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("inline-tok"), OIDCTokenFilePath: ptr(writeFile(t, dir, "tok", "file-tok"))}
			},
			errAttr: "oidc_token", errContains: []string{"`oidc_token` (ARM_OIDC_TOKEN) and the contents of `oidc_token_file_path` (ARM_OIDC_TOKEN_FILE_PATH) differ"},
			noLeak: []string{"inline-tok", "file-tok"},
		},
		{
			name: "OIDC token file missing",
			settings: func(_ *testing.T, dir string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCTokenFilePath: ptr(filepath.Join(dir, "absent"))}
			},
			errAttr: "oidc_token_file_path", errIs: fs.ErrNotExist,
		},
		{
			name: "OIDC static token wins over GitHub request",
			settings: func(*testing.T, string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("t"), OIDCRequestURL: ptr("https://gh.example/t"), OIDCRequestToken: ptr("rt")}
			},
			kind: KindOIDCToken, clientID: clientA,
		},
		{
			name: "GitHub OIDC request",
			settings: func(*testing.T, string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCRequestURL: ptr("https://gh.example/t?x=1"), OIDCRequestToken: ptr("rt")}
			},
			kind: KindGitHubOIDC, clientID: clientA, reason: "`oidc_request_url` (ARM_OIDC_REQUEST_URL or ACTIONS_ID_TOKEN_REQUEST_URL)",
			secretWant: func(t *testing.T, _ string, s *methodSecrets) {
				if s.requestURL != "https://gh.example/t?x=1" || s.requestToken != "rt" {
					t.Errorf("request not carried")
				}
			},
		},
		{
			name: "GitHub OIDC request URL without token",
			settings: func(*testing.T, string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCRequestURL: ptr("https://gh.example/t")}
			},
			errAttr: "oidc_request_token", errContains: []string{"`oidc_request_token` (ARM_OIDC_REQUEST_TOKEN or ACTIONS_ID_TOKEN_REQUEST_TOKEN) is not"},
		},
		{
			name: "GitHub OIDC request token without URL",
			settings: func(*testing.T, string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCRequestToken: ptr("rt-value")}
			},
			errAttr: "oidc_request_url", noLeak: []string{"rt-value"},
		},
		{
			name: "GitHub OIDC request URL not absolute",
			settings: func(*testing.T, string) Settings {
				return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCRequestURL: ptr("/relative"), OIDCRequestToken: ptr("rt")}
			},
			errAttr: "oidc_request_url", errContains: []string{"absolute https URL"},
		},
		{
			name:     "use_oidc with no token source",
			settings: func(*testing.T, string) Settings { return Settings{UseOIDC: ptr(true), ClientID: ptr(clientA)} },
			errAttr:  "use_oidc", errContains: []string{"no OIDC token source", "`oidc_token` (ARM_OIDC_TOKEN)"},
		},
		{
			name:     "OIDC without client id",
			settings: func(*testing.T, string) Settings { return Settings{UseOIDC: ptr(true), OIDCToken: ptr("t")} },
			errAttr:  "client_id", errContains: []string{"OIDC token needs a client ID"},
		},
		{
			name: "OIDC wins over use_msi, with a note",
			settings: func(*testing.T, string) Settings {
				return Settings{UseOIDC: ptr(true), UseMSI: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("t")}
			},
			kind: KindOIDCToken, clientID: clientA, notes: []string{"`use_msi` (ARM_USE_MSI) is true but ignored"},
		},

		// AKS workload identity.
		{
			name: "AKS workload identity from the webhook's variables",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{
					UseAKSWorkloadIdentity: ptr(true),
					AKSFederatedTokenFile:  ptr(writeFile(t, dir, "aks", "aks-token")),
					AKSClientID:            ptr(clientB),
					AKSTenantID:            ptr(tenantB),
				}
			},
			kind: KindAKSWorkloadIdentity, clientID: clientB, tenantID: tenantB, reason: "AZURE_FEDERATED_TOKEN_FILE is set",
		},
		{
			name: "AKS workload identity with matching explicit client and tenant",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{
					UseAKSWorkloadIdentity: ptr(true), ClientID: ptr(clientB), TenantID: ptr(tenantB),
					AKSFederatedTokenFile: ptr(writeFile(t, dir, "aks", "aks-token")), AKSClientID: ptr(clientB), AKSTenantID: ptr(tenantB),
				}
			},
			kind: KindAKSWorkloadIdentity, clientID: clientB, tenantID: tenantB,
		},
		{
			name: "AKS workload identity with explicit client only",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{UseAKSWorkloadIdentity: ptr(true), ClientID: ptr(clientA), AKSFederatedTokenFile: ptr(writeFile(t, dir, "aks", "aks-token"))}
			},
			kind: KindAKSWorkloadIdentity, clientID: clientA,
		},
		{
			name: "AKS workload identity wins over use_oidc token when they agree",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{
					UseAKSWorkloadIdentity: ptr(true), UseOIDC: ptr(true), OIDCToken: ptr("aks-token"), AKSClientID: ptr(clientA),
					AKSFederatedTokenFile: ptr(writeFile(t, dir, "aks", "aks-token\n")),
				}
			},
			kind: KindAKSWorkloadIdentity, clientID: clientA,
		},
		{
			name: "AKS workload identity without the token file variable",
			settings: func(*testing.T, string) Settings {
				return Settings{UseAKSWorkloadIdentity: ptr(true), ClientID: ptr(clientA)}
			},
			errAttr: "use_aks_workload_identity", errContains: []string{"AZURE_FEDERATED_TOKEN_FILE is not set"},
		},
		{
			name: "AKS workload identity token file missing",
			settings: func(_ *testing.T, dir string) Settings {
				return Settings{UseAKSWorkloadIdentity: ptr(true), ClientID: ptr(clientA), AKSFederatedTokenFile: ptr(filepath.Join(dir, "absent"))}
			},
			errAttr: "", errContains: []string{"AZURE_FEDERATED_TOKEN_FILE"}, errIs: fs.ErrNotExist,
		},
		{
			name: "AKS workload identity client id mismatch",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{UseAKSWorkloadIdentity: ptr(true), ClientID: ptr(clientA), AKSClientID: ptr(clientB), AKSFederatedTokenFile: ptr(writeFile(t, dir, "aks", "t"))}
			},
			errAttr: "client_id", errContains: []string{"AZURE_CLIENT_ID", "disable `use_aks_workload_identity`"},
		},
		{
			name: "AKS workload identity tenant mismatch",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{UseAKSWorkloadIdentity: ptr(true), ClientID: ptr(clientA), TenantID: ptr(tenantA), AKSTenantID: ptr(tenantB), AKSFederatedTokenFile: ptr(writeFile(t, dir, "aks", "t"))}
			},
			errAttr: "tenant_id", errContains: []string{"AZURE_TENANT_ID", "differ"},
		},
		{
			name: "AKS workload identity token mismatch with oidc_token",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{UseAKSWorkloadIdentity: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("other-tok"), AKSFederatedTokenFile: ptr(writeFile(t, dir, "aks", "aks-tok"))}
			},
			errAttr: "oidc_token", errContains: []string{"AZURE_FEDERATED_TOKEN_FILE"}, noLeak: []string{"other-tok", "aks-tok"},
		},
		{
			name: "AKS workload identity without any client id",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{UseAKSWorkloadIdentity: ptr(true), AKSFederatedTokenFile: ptr(writeFile(t, dir, "aks", "t"))}
			},
			errAttr: "client_id", errContains: []string{"AZURE_CLIENT_ID"},
		},
		{
			name: "AKS variables are ignored without use_aks_workload_identity",
			settings: func(t *testing.T, dir string) Settings {
				return Settings{ClientID: ptr(clientA), ClientSecret: ptr("s"), TenantID: ptr(tenantA), AKSClientID: ptr(clientB), AKSTenantID: ptr(tenantB)}
			},
			kind: KindClientSecret, clientID: clientA, tenantID: tenantA,
		},

		// Managed identity.
		{
			name:     "managed identity, system-assigned",
			settings: func(*testing.T, string) Settings { return Settings{UseMSI: ptr(true)} },
			kind:     KindManagedIdentity, reason: "`use_msi` (ARM_USE_MSI) is true",
		},
		{
			name: "managed identity, user-assigned by client id",
			settings: func(*testing.T, string) Settings {
				return Settings{UseMSI: ptr(true), ClientID: ptr(clientA), UseCLI: ptr(false)}
			},
			kind: KindManagedIdentity, clientID: clientA,
		},
		{
			name: "managed identity with custom endpoint",
			settings: func(*testing.T, string) Settings {
				return Settings{UseMSI: ptr(true), MSIEndpoint: ptr("http://127.0.0.1:50342/oauth2/token?secret=x")}
			},
			kind: KindManagedIdentity, msiEndpnt: "http://127.0.0.1:50342/oauth2/token?redacted",
		},
		{
			name:     "managed identity with a bad endpoint",
			settings: func(*testing.T, string) Settings { return Settings{UseMSI: ptr(true), MSIEndpoint: ptr("not a url")} },
			errAttr:  "msi_endpoint", errContains: []string{"`msi_endpoint` (ARM_MSI_ENDPOINT) must be an absolute"},
		},

		// Tenant and authority host.
		{
			name:     "tenant as a domain name",
			settings: func(*testing.T, string) Settings { return Settings{TenantID: ptr("contoso.onmicrosoft.com")} },
			kind:     KindAzureCLI, tenantID: "contoso.onmicrosoft.com",
		},
		{
			name:     "invalid tenant",
			settings: func(*testing.T, string) Settings { return Settings{TenantID: ptr("a/b")} },
			errAttr:  "tenant_id", errContains: []string{"`tenant_id` (ARM_TENANT_ID) must be a tenant ID"},
		},
		{
			name:     "authority host over http",
			settings: func(*testing.T, string) Settings { return Settings{AuthorityHost: ptr("http://127.0.0.1:1")} },
			errAttr:  "authority_host", errContains: []string{"`authority_host` (LKPS_AUTHORITY_HOST) must be an absolute https URL"},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := tc.settings(t, dir)
			m, err := Resolve(s)
			if tc.errAttr != "" || tc.errContains != nil || tc.errIs != nil {
				checkResolveError(t, tc, err)
				return
			}
			if err != nil {
				t.Fatalf("Resolve: unexpected error: %v", err)
			}
			type resolved struct{ Kind, ClientID, TenantID, MSIEndpoint string }
			got := resolved{string(m.Kind), m.ClientID, m.TenantID, m.MSIEndpoint}
			if want := (resolved{string(tc.kind), tc.clientID, tc.tenantID, tc.msiEndpnt}); got != want {
				t.Errorf("Resolve = %+v, want %+v", got, want)
			}
			if !strings.Contains(m.Reason, tc.reason) {
				t.Errorf("Reason = %q, want it to contain %q", m.Reason, tc.reason)
			}
			if len(m.Notes) != len(tc.notes) {
				t.Errorf("Notes = %q, want %d notes like %q", m.Notes, len(tc.notes), tc.notes)
			} else {
				for i, want := range tc.notes {
					if !strings.Contains(m.Notes[i], want) {
						t.Errorf("Notes[%d] = %q, want it to contain %q", i, m.Notes[i], want)
					}
				}
			}
			if m.secrets == nil {
				t.Fatal("Method carries no credential inputs")
			}
			if tc.secretWant != nil {
				tc.secretWant(t, dir, m.secrets)
			}
		})
	}
}

func checkResolveError(t *testing.T, tc resolveCase, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("Resolve: no error, want one for attribute %q", tc.errAttr)
	}
	var cfg *ConfigError
	if !errors.As(err, &cfg) {
		t.Fatalf("error %v is %T, want *ConfigError", err, err)
	}
	if cfg.Attribute != tc.errAttr {
		t.Errorf("Attribute = %q, want %q (error: %v)", cfg.Attribute, tc.errAttr, err)
	}
	for _, want := range tc.errContains {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if tc.errIs != nil && !errors.Is(err, tc.errIs) {
		t.Errorf("error %v is not %v", err, tc.errIs)
	}
	for _, secret := range tc.noLeak {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q leaks %q", err, secret)
		}
	}
}

func base64File(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func TestResolveFromEnvAndConfig(t *testing.T) {
	dir := t.TempDir()
	tokenFile := writeFile(t, dir, "token", "env-token")
	env := FromEnv(envFunc(map[string]string{
		"ARM_CLIENT_ID":                  clientA,
		"ARM_TENANT_ID":                  tenantA,
		"ARM_USE_OIDC":                   "true",
		"ARM_OIDC_TOKEN_FILE_PATH":       tokenFile,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   "https://gh.example/t",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh",
	}))
	m, err := Resolve(Merge(Settings{}, env))
	if err != nil || m.Kind != KindOIDCTokenFile || m.ClientID != clientA || m.TenantID != tenantA {
		t.Fatalf("env only: %v, %v", m, err)
	}
	// Configuration switches OIDC off and supplies a secret: the secret wins.
	m, err = Resolve(Merge(Settings{UseOIDC: ptr(false), ClientSecret: ptr("s")}, env))
	if err != nil || m.Kind != KindClientSecret {
		t.Fatalf("config secret: %v, %v", m, err)
	}
	// Configuration empties the token file path: GitHub's request variables are used.
	m, err = Resolve(Merge(Settings{OIDCTokenFilePath: ptr("")}, env))
	if err != nil || m.Kind != KindGitHubOIDC {
		t.Fatalf("config clears the token file: %v, %v", m, err)
	}
}

func TestMethodNeverPrintsSecrets(t *testing.T) {
	gen := generatedCert(t)
	for _, s := range []Settings{
		{ClientID: ptr(clientA), ClientSecret: ptr("s3cr3t-value")},
		{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("s3cr3t-value")},
		{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCRequestURL: ptr("https://gh.example/?q=s3cr3t-value"), OIDCRequestToken: ptr("s3cr3t-value")},
		{UseMSI: ptr(true), MSIEndpoint: ptr("http://127.0.0.1:1/token?key=s3cr3t-value")},
		{ClientID: ptr(clientA), ClientCertificate: ptr(gen.pemPKCS8)},
	} {
		m, err := Resolve(s)
		if err != nil {
			t.Fatalf("Resolve(%v): %v", s, err)
		}
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if inner := fmt.Sprintf(format, m.secrets); inner != "<redacted>" {
				t.Errorf("%s of the method's secrets = %q", format, inner)
			}
			out := fmt.Sprintf(format, m) + fmt.Sprintf(format, &m)
			if strings.Contains(out, "s3cr3t-value") || strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, "N:") {
				t.Errorf("%s of %s leaks a secret: %s", format, m.Kind, out)
			}
			if !strings.Contains(out, m.Kind.Description()) {
				t.Errorf("%s of a method lacks its description: %s", format, out)
			}
		}
	}
}

func TestKindDescriptions(t *testing.T) {
	seen := map[string]Kind{}
	for _, k := range []Kind{KindClientCertificate, KindClientSecret, KindOIDCToken, KindOIDCTokenFile, KindGitHubOIDC, KindAKSWorkloadIdentity, KindManagedIdentity, KindAzureCLI} {
		d := k.Description()
		if strings.HasPrefix(d, "unknown") {
			t.Errorf("%q has no description", k)
		}
		if other, dup := seen[d]; dup {
			t.Errorf("%q and %q share the description %q", k, other, d)
		}
		seen[d] = k
	}
	if d := Kind("bogus").Description(); !strings.HasPrefix(d, "unknown") {
		t.Errorf("bogus kind described as %q", d)
	}
}
