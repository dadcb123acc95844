package auth

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunTimeCredential_Settings(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pfx, err := os.ReadFile("testdata/client-password.pfx")
	if err != nil {
		t.Fatal(err)
	}
	pfxFile := filepath.Join(dir, "c.pfx")
	if err := os.WriteFile(pfxFile, pfx, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CLIENT_SECRET": "env-secret", "CERT_PASSWORD": "pw", "EMPTY": " "}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	for name, tc := range map[string]struct {
		r        RunTimeCredential
		want     AgentSettings
		wantAttr string
		wantMsg  string
	}{
		"secret from a variable": {r: RunTimeCredential{SecretEnvVar: "CLIENT_SECRET"}, want: AgentSettings{ClientID: "c", ClientSecret: "env-secret"}},
		"secret from a file":     {r: RunTimeCredential{SecretFilePath: secretFile}, want: AgentSettings{ClientID: "c", ClientSecret: "file-secret"}},
		"certificate from a file, with a password variable": {
			r:    RunTimeCredential{CertificatePath: pfxFile, CertificatePasswordEnvVar: "CERT_PASSWORD"},
			want: AgentSettings{ClientID: "c", ClientCertificate: base64.StdEncoding.EncodeToString(pfx), ClientCertificatePassword: "pw"},
		},
		"a secret where its variable's name belongs": {r: RunTimeCredential{SecretEnvVar: "abc~def.ghi-123"}, wantAttr: AttrSecretEnvVar, wantMsg: "not the value itself"},
		"an unset variable":                          {r: RunTimeCredential{SecretEnvVar: "NOT_SET"}, wantAttr: AttrSecretEnvVar, wantMsg: "NOT_SET, which is not set"},
		"an empty variable":                          {r: RunTimeCredential{CertificateEnvVar: "EMPTY"}, wantAttr: AttrCertificateEnvVar, wantMsg: "EMPTY, which is empty"},
		"a missing file":                             {r: RunTimeCredential{SecretFilePath: filepath.Join(dir, "none")}, wantAttr: AttrSecretFilePath, wantMsg: "reading the file"},
		"an unset password":                          {r: RunTimeCredential{CertificatePath: pfxFile, CertificatePasswordEnvVar: "NOPE"}, wantAttr: AttrCertificatePasswordEnvVar, wantMsg: "NOPE"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := tc.r.Settings("c", lookup, os.ReadFile)
			if tc.wantAttr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got != tc.want {
					t.Errorf("got %v, want %v", got, tc.want) // String redacts
				}
				if got.ClientSecret != tc.want.ClientSecret || got.ClientCertificate != tc.want.ClientCertificate {
					t.Error("the credential read differs from the one given")
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Attribute != tc.wantAttr || !strings.Contains(ce.Error(), tc.wantMsg) {
				t.Fatalf("error %v, want a ConfigError on %s saying %q", err, tc.wantAttr, tc.wantMsg)
			}
			for _, secret := range []string{"env-secret", "file-secret", "pw", "abc~def"} {
				if strings.Contains(ce.Error(), secret) {
					t.Errorf("the error shows a secret: %s", ce.Error())
				}
			}
		})
	}
}
