package auth

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func envFunc(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

func TestFromEnvReadsEveryVariable(t *testing.T) {
	env := map[string]string{
		"ARM_TENANT_ID":                   "tenant",
		"ARM_CLIENT_ID":                   "client",
		"ARM_CLIENT_ID_FILE_PATH":         "/client-id",
		"ARM_CLIENT_SECRET":               "secret",
		"ARM_CLIENT_SECRET_FILE_PATH":     "/secret",
		"ARM_CLIENT_CERTIFICATE":          "cert",
		"ARM_CLIENT_CERTIFICATE_PATH":     "/cert.pfx",
		"ARM_CLIENT_CERTIFICATE_PASSWORD": "certpass",
		"ARM_USE_OIDC":                    "true",
		"ARM_OIDC_TOKEN":                  "idtoken",
		"ARM_OIDC_TOKEN_FILE_PATH":        "/idtoken",
		"ARM_OIDC_REQUEST_URL":            "https://req.example/x?a=1",
		"ARM_OIDC_REQUEST_TOKEN":          "reqtoken",
		"ARM_USE_AKS_WORKLOAD_IDENTITY":   "1",
		"ARM_USE_MSI":                     "TRUE",
		"ARM_MSI_ENDPOINT":                "http://169.254.169.254/x",
		"ARM_USE_CLI":                     "false",
		"LKPS_AUTHORITY_HOST":             "https://127.0.0.1:8443",
		"AZURE_FEDERATED_TOKEN_FILE":      "/aks-token",
		"AZURE_CLIENT_ID":                 "aks-client",
		"AZURE_TENANT_ID":                 "aks-tenant",
	}
	got := FromEnv(envFunc(env))
	want := Settings{
		TenantID:                  ptr("tenant"),
		ClientID:                  ptr("client"),
		ClientIDFilePath:          ptr("/client-id"),
		ClientSecret:              ptr("secret"),
		ClientSecretFilePath:      ptr("/secret"),
		ClientCertificate:         ptr("cert"),
		ClientCertificatePath:     ptr("/cert.pfx"),
		ClientCertificatePassword: ptr("certpass"),
		UseOIDC:                   ptr(true),
		OIDCToken:                 ptr("idtoken"),
		OIDCTokenFilePath:         ptr("/idtoken"),
		OIDCRequestURL:            ptr("https://req.example/x?a=1"),
		OIDCRequestToken:          ptr("reqtoken"),
		UseAKSWorkloadIdentity:    ptr(true),
		UseMSI:                    ptr(true),
		MSIEndpoint:               ptr("http://169.254.169.254/x"),
		UseCLI:                    ptr(false),
		AuthorityHost:             ptr("https://127.0.0.1:8443"),
		AKSFederatedTokenFile:     ptr("/aks-token"),
		AKSClientID:               ptr("aks-client"),
		AKSTenantID:               ptr("aks-tenant"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromEnv:\n got %v\nwant %v", got, want)
	}
	if err := got.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
}

func TestFromEnvEmptyIsUnset(t *testing.T) {
	got := FromEnv(envFunc(map[string]string{"ARM_CLIENT_ID": "", "ARM_USE_MSI": "  "}))
	if !reflect.DeepEqual(got, Settings{}) {
		t.Errorf("FromEnv of empty variables = %v, want all unset", got)
	}
}

func TestFromEnvGitHubFallbacks(t *testing.T) {
	gh := map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   "https://gh.example/token?x=1",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh-request-token",
	}
	got := FromEnv(envFunc(gh))
	if value(got.OIDCRequestURL) != gh["ACTIONS_ID_TOKEN_REQUEST_URL"] || value(got.OIDCRequestToken) != "gh-request-token" {
		t.Errorf("fallbacks not read: %v", got)
	}
	gh["ARM_OIDC_REQUEST_URL"] = "https://arm.example/token"
	gh["ARM_OIDC_REQUEST_TOKEN"] = "arm-request-token"
	got = FromEnv(envFunc(gh))
	if value(got.OIDCRequestURL) != "https://arm.example/token" || value(got.OIDCRequestToken) != "arm-request-token" {
		t.Errorf("ARM_* must win over ACTIONS_*: %v", got)
	}
}

func TestFromEnvBadBoolean(t *testing.T) {
	for _, name := range []string{"ARM_USE_OIDC", "ARM_USE_AKS_WORKLOAD_IDENTITY", "ARM_USE_MSI", "ARM_USE_CLI"} {
		t.Run(name, func(t *testing.T) {
			s := FromEnv(envFunc(map[string]string{name: "yes"}))
			err := s.Err()
			if err == nil {
				t.Fatal("Err() = nil, want an error")
			}
			if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), `"yes"`) {
				t.Errorf("error %q does not name %s and the value", err, name)
			}
			var cfg *ConfigError
			if !errors.As(err, &cfg) || cfg.EnvVar != name {
				t.Errorf("error %#v is not a ConfigError for %s", err, name)
			}
			if _, rerr := Resolve(s); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Resolve error = %v, want %v", rerr, err)
			}
		})
	}
	long := FromEnv(envFunc(map[string]string{"ARM_USE_MSI": "a-long-secret-looking-value"}))
	if err := long.Err(); err == nil || strings.Contains(err.Error(), "secret-looking") {
		t.Errorf("a long bad value must be reported without echoing it: %v", err)
	}
}

func TestMergeConfigWinsPerSetting(t *testing.T) {
	env := FromEnv(envFunc(map[string]string{
		"ARM_TENANT_ID":     "env-tenant",
		"ARM_CLIENT_ID":     "env-client",
		"ARM_CLIENT_SECRET": "env-secret",
		"ARM_USE_CLI":       "true",
		"ARM_USE_MSI":       "true",
		"ARM_MSI_ENDPOINT":  "http://env/msi",
	}))
	config := Settings{
		ClientID:     ptr("config-client"),
		ClientSecret: ptr(""), // explicitly empty in configuration: overrides the variable
		UseCLI:       ptr(false),
	}
	got := Merge(config, env)
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"tenant from env", value(got.TenantID), "env-tenant"},
		{"client from config", value(got.ClientID), "config-client"},
		{"empty secret from config", got.ClientSecret != nil && *got.ClientSecret == "", true},
		{"use_cli false from config", boolValue(got.UseCLI, true), false},
		{"use_msi from env", boolValue(got.UseMSI, false), true},
		{"msi_endpoint from env", value(got.MSIEndpoint), "http://env/msi"},
		{"unset stays unset", got.OIDCToken == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestMergeBadBooleanInEnv(t *testing.T) {
	env := FromEnv(envFunc(map[string]string{"ARM_USE_MSI": "maybe", "ARM_USE_CLI": "nope"}))
	if err := Merge(Settings{}, env).Err(); err == nil || !strings.Contains(err.Error(), "ARM_USE_MSI") {
		t.Errorf("unset in config: Err() = %v, want the ARM_USE_MSI error", err)
	}
	merged := Merge(Settings{UseMSI: ptr(false)}, env)
	if err := merged.Err(); err == nil || !strings.Contains(err.Error(), "ARM_USE_CLI") {
		t.Errorf("use_msi configured: Err() = %v, want only the ARM_USE_CLI error", err)
	}
	merged = Merge(Settings{UseMSI: ptr(false), UseCLI: ptr(true)}, env)
	if err := merged.Err(); err != nil {
		t.Errorf("both configured: Err() = %v, want nil (the variables are not consulted)", err)
	}
}

func TestSettingsNeverPrintSecrets(t *testing.T) {
	secrets := []string{"s3cr3t-client-secret", "s3cr3t-certificate-blob", "s3cr3t-cert-password", "s3cr3t-oidc-token", "s3cr3t-request-token", "s3cr3t-query"}
	s := Settings{
		TenantID:                  ptr("tenant-visible"),
		ClientID:                  ptr("client-visible"),
		ClientSecret:              ptr(secrets[0]),
		ClientCertificate:         ptr(secrets[1]),
		ClientCertificatePassword: ptr(secrets[2]),
		OIDCToken:                 ptr(secrets[3]),
		OIDCRequestToken:          ptr(secrets[4]),
		OIDCRequestURL:            ptr("https://gh.example/idtoken?sig=" + secrets[5]),
		UseOIDC:                   ptr(true),
	}
	outputs := map[string]string{
		"%v":         fmt.Sprintf("%v", s),
		"%+v":        fmt.Sprintf("%+v", s),
		"%#v":        fmt.Sprintf("%#v", s),
		"pointer %v": fmt.Sprintf("%v", &s),
		"in a slice": fmt.Sprintf("%v", []Settings{s}),
		"String":     s.String(),
	}
	for format, out := range outputs {
		for _, secret := range secrets {
			if strings.Contains(out, secret) {
				t.Errorf("%s output contains a secret: %s", format, out)
			}
		}
		for _, visible := range []string{"tenant-visible", "client-visible", "client_secret=<redacted>", "https://gh.example/idtoken"} {
			if !strings.Contains(out, visible) {
				t.Errorf("%s output lacks %q: %s", format, visible, out)
			}
		}
	}
}
