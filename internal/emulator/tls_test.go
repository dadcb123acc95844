package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
)

// verify checks a leaf issued by ca for name against a pool holding only ca.
func verify(t *testing.T, ca *CA, leaf *x509.Certificate, name string) error {
	t.Helper()
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

func TestCAIsShortLivedAndSignsOnlyForLoopback(t *testing.T) {
	t.Parallel()
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	if life := time.Until(ca.NotAfter()); life > CALifetime || life < CALifetime-time.Minute {
		t.Errorf("CA lifetime %v, want %v", life, CALifetime)
	}
	if !ca.cert.PermittedDNSDomainsCritical {
		t.Error("the name constraints are not critical")
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "127.0.1.1"} {
		cert, err := ca.IssueServerCertificate(name)
		if err != nil {
			t.Fatal(err)
		}
		if cert.Leaf.NotAfter.After(ca.NotAfter()) {
			t.Errorf("the server certificate outlives the CA: %v > %v", cert.Leaf.NotAfter, ca.NotAfter())
		}
		if err := verify(t, ca, cert.Leaf, name); err != nil {
			t.Errorf("loopback name %s: %v", name, err)
		}
	}
	// The key signs whatever it is asked to; every client must refuse a name outside the constraints.
	for _, name := range []string{"login.microsoftonline.com", "graph.microsoft.com", "10.0.0.1", "192.168.1.1", "2001:db8::1", "localhost.example.com"} {
		cert, err := ca.IssueServerCertificate(name)
		if err != nil {
			t.Fatal(err)
		}
		err = verify(t, ca, cert.Leaf, name)
		var invalid x509.CertificateInvalidError
		if !errors.As(err, &invalid) || invalid.Reason != x509.CANotAuthorizedForThisName {
			t.Errorf("%s: verification = %v, want a name-constraint violation", name, err)
		}
	}
}

// writeCA writes a CA into dir as LoadOrCreateCA would find it.
func writeCA(t *testing.T, dir string, ca *CA) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, CAKeyFileName), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, CAFileName), ca.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}

// legacyCA is the CA of emulators before the name constraints: ten years, any name.
func legacyCA(t *testing.T) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "lkps-emulator local CA", Organization: []string{caOrganization}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	cert, der := emutest.SelfSigned(t, tmpl, key)
	return &CA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func TestLoadOrCreateCARenewsExpiringAndUnconstrainedCAs(t *testing.T) {
	t.Parallel()
	now := time.Now()
	expiring, err := newCA(now.Add(-CALifetime), CALifetime+time.Hour) // one hour left
	if err != nil {
		t.Fatal(err)
	}
	expired, err := newCA(now.Add(-2*CALifetime), CALifetime)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := newCA(now, CALifetime)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		ca      *CA
		renewed bool
	}{
		{"expired", expired, true},
		{"expiring within CARenewBefore", expiring, true},
		{"ten years without name constraints", legacyCA(t), true},
		{"fresh", fresh, false},
	}
	for _, c := range cases {
		dir := t.TempDir()
		writeCA(t, dir, c.ca)
		got, err := loadOrCreateCA(dir, now)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if renewed := got.cert.SerialNumber.Cmp(c.ca.cert.SerialNumber) != 0; renewed != c.renewed {
			t.Errorf("%s: renewed = %v, want %v", c.name, renewed, c.renewed)
		}
		if !loopbackOnly(got.cert) || got.NotAfter().Before(now.Add(CARenewBefore)) {
			t.Errorf("%s: the CA in use is unconstrained or near expiry (until %v)", c.name, got.NotAfter())
		}
		onDisk, err := LoadCA(filepath.Join(dir, CAFileName), filepath.Join(dir, CAKeyFileName))
		if err != nil || onDisk.cert.SerialNumber.Cmp(got.cert.SerialNumber) != 0 {
			t.Errorf("%s: the CA on disk is not the one in use (%v)", c.name, err)
		}
	}
}

// otherCA is a local CA standing in for a public one that the system trusts, with a server certificate
// it issued for 127.0.0.1.
func otherCA(t *testing.T) (rootPEM []byte, server tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test public root", Organization: []string{"test"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(der)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "registry"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, &leafKey.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
}

// tlsServer starts an HTTPS server on 127.0.0.1 with cert.
func tlsServer(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// get fetches url trusting exactly the certificates of the PEM file bundle, as a process with
// SSL_CERT_FILE=bundle does.
func get(t *testing.T, bundle, url, serverName string) error {
	t.Helper()
	raw, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		t.Fatalf("%s holds no certificate", bundle)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func TestTrustBundleKeepsSystemRootsAndConstrainsTheEmulatorCA(t *testing.T) {
	t.Parallel()
	// The "system roots": a root of another local CA, plus the CA of an earlier emulator run (as an
	// SSL_CERT_FILE exported then would hold), which must not be carried over.
	publicRoot, publicServer := otherCA(t)
	roots := filepath.Join(t.TempDir(), "system-roots.pem")
	if err := os.WriteFile(roots, append(append([]byte(nil), publicRoot...), legacyCA(t).certPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv, err := Start(Config{CertDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(t.Context()) })

	bundle, n, err := WriteTrustBundle(dir, roots)
	if err != nil {
		t.Fatal(err)
	}
	if bundle != filepath.Join(dir, CABundleFileName) || n != 1 {
		t.Fatalf("bundle %s with %d system roots, want %s with 1 (the earlier emulator CA left out)", bundle, n, filepath.Join(dir, CABundleFileName))
	}
	raw, _ := os.ReadFile(bundle)
	if strings.Count(string(raw), "BEGIN CERTIFICATE") != 2 {
		t.Fatalf("bundle holds %d certificates, want the system root and the emulator CA", strings.Count(string(raw), "BEGIN CERTIFICATE"))
	}

	// Other TLS keeps working: a server whose certificate chains to the system part.
	if err := get(t, bundle, tlsServer(t, publicServer)+"/", ""); err != nil {
		t.Errorf("a server trusted by the system roots fails with the bundle: %v", err)
	}
	// The emulator itself is trusted.
	if err := get(t, bundle, srv.URL()+"/metadata/endpoints?api-version=2022-09-01", ""); err != nil {
		t.Errorf("the emulator is not trusted through the bundle: %v", err)
	}
	// A certificate the emulator's CA issues for a public name is refused, even served from loopback.
	ca, err := LoadCA(filepath.Join(dir, CAFileName), filepath.Join(dir, CAKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := ca.IssueServerCertificate("graph.microsoft.com")
	if err != nil {
		t.Fatal(err)
	}
	err = get(t, bundle, tlsServer(t, forged)+"/", "graph.microsoft.com")
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.CANotAuthorizedForThisName {
		t.Errorf("the emulator CA signed for graph.microsoft.com and the client accepted it or failed otherwise: %v", err)
	}

	// Without a roots file the bundle holds the CA alone; a roots file without certificates is an error.
	if _, n, err := WriteTrustBundle(dir, ""); err != nil || n != 0 {
		t.Errorf("no roots file: %d roots, %v", n, err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	_ = os.WriteFile(empty, []byte("nothing\n"), 0o600)
	if _, _, err := WriteTrustBundle(dir, empty); err == nil {
		t.Error("a roots file without certificates was accepted")
	}
}
