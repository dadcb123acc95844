package auth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecryptPEMKeysRefusesUnsupportedEncryption(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    string
	}{
		{"client-pbes1.pem", "only PBES2"},
		{"client-legacy-encrypted.pem", "legacy OpenSSL PEM encryption"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			_, err := Resolve(Settings{ClientID: ptr(clientA), ClientCertificatePath: ptr(fixture(tc.fixture)), ClientCertificatePassword: ptr(fixturePEMPassword)})
			var cfg *ConfigError
			if !errors.As(err, &cfg) || cfg.Attribute != "client_certificate_path" {
				t.Fatalf("error = %v, want a ConfigError for client_certificate_path", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "openssl pkcs8 -topk8 -v2 aes-256-cbc") {
				t.Errorf("error %q lacks %q and the conversion hint", err, tc.want)
			}
		})
	}
}

func TestDecryptPKCS8Malformed(t *testing.T) {
	if _, err := decryptPKCS8([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, "pw"); err == nil || !strings.Contains(err.Error(), "not valid PKCS#8") {
		t.Errorf("malformed DER: %v", err)
	}
	if _, err := decryptPEMKeys(setClientCertificatePassword, []byte("no pem here"), ""); err == nil || !strings.Contains(err.Error(), "no PEM block") {
		t.Errorf("no PEM: %v", err)
	}
}

func TestFlexInt64(t *testing.T) {
	for in, want := range map[string]int64{`3600`: 3600, `"3600"`: 3600, `null`: 0, `3599.9`: 3599, `"1700000000"`: 1700000000} {
		var got struct {
			V flexInt64 `json:"v"`
		}
		if err := json.Unmarshal([]byte(`{"v":`+in+`}`), &got); err != nil || int64(got.V) != want {
			t.Errorf("%s: got %d, %v; want %d", in, got.V, err, want)
		}
	}
	for _, in := range []string{`"soon"`, `true`, `"12x"`} {
		var got struct {
			V flexInt64 `json:"v"`
		}
		if err := json.Unmarshal([]byte(`{"v":`+in+`}`), &got); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}
