package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// writeFile writes contents to name inside dir and returns the path.
func writeFile(t *testing.T, dir, name, contents string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(contents), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testCert is a throw-away self-signed certificate and key generated with crypto/x509.
type testCert struct {
	cert     *x509.Certificate
	key      *rsa.PrivateKey
	pemPKCS8 string // certificate + "PRIVATE KEY"
	pemPKCS1 string // certificate + "RSA PRIVATE KEY"
}

var (
	testCertOnce sync.Once
	testCertVal  testCert
	testCertErr  error
)

// generatedCert returns a certificate generated once per test binary (RSA key generation is slow).
func generatedCert(t *testing.T) testCert {
	t.Helper()
	testCertOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			testCertErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(42),
			Subject:      pkix.Name{CommonName: "lkps-auth-generated"},
			NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:     time.Date(2120, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			testCertErr = err
			return
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			testCertErr = err
			return
		}
		pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			testCertErr = err
			return
		}
		certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		testCertVal = testCert{
			cert:     cert,
			key:      key,
			pemPKCS8: certPEM + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
			pemPKCS1: certPEM + string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		}
	})
	if testCertErr != nil {
		t.Fatalf("generating test certificate: %v", testCertErr)
	}
	return testCertVal
}

// fixture returns the path of a file in testdata.
func fixture(name string) string { return filepath.Join("testdata", name) }

const (
	fixturePFXPassword = "pfx-test-password"
	fixturePEMPassword = "pem-test-password"
)
