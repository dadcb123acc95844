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
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File names the emulator writes into its certificate directory.
const (
	CAFileName      = "ca.pem"
	CAKeyFileName   = "ca-key.pem"
	CertFileName    = "server.pem"
	CertKeyFileName = "server-key.pem"
	// CABundleFileName is the trust bundle the printed exports name in SSL_CERT_FILE and CURL_CA_BUNDLE:
	// the system's roots followed by the emulator's CA (see WriteTrustBundle).
	CABundleFileName = "ca-bundle.pem"
)

// The emulator's CA lives for days, not years, and may only sign for loopback names, so that a copy of
// its key (it sits unencrypted in the certificate directory) is worth nothing beyond this machine even
// when someone adds the CA to an OS trust store.
const (
	// CALifetime is how long a generated CA is valid.
	CALifetime = 7 * 24 * time.Hour
	// CARenewBefore is how long before its expiry LoadOrCreateCA replaces a CA: an emulator started
	// with it keeps valid certificates for at least that long.
	CARenewBefore = 24 * time.Hour
)

// caOrganization marks the emulator's CAs, so that a trust bundle built from a file that already holds
// one (an SSL_CERT_FILE exported by an earlier run) does not accumulate them.
const caOrganization = "lkps-emulator"

// loopbackIPRanges and loopbackDNSDomain are the names the CA may sign for (X.509 name constraints,
// marked critical): 127.0.0.0/8, ::1 and localhost (with its subdomains, which resolve to loopback).
var (
	loopbackIPRanges = []*net.IPNet{
		{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
		{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
	}
	loopbackDNSDomain = "localhost"
)

// CA is a certificate authority that signs the emulator's server certificates. Clients trust the
// emulator by trusting the CA's certificate (CertPEM).
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// NewCA generates a CA with a fresh P-256 key, valid for CALifetime and constrained to loopback names
// (127.0.0.0/8, ::1, localhost): certificates it signs for any other name fail verification.
func NewCA() (*CA, error) {
	return newCA(time.Now(), CALifetime)
}

func newCA(now time.Time, lifetime time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:                serial,
		Subject:                     pkix.Name{CommonName: "lkps-emulator local CA", Organization: []string{caOrganization}},
		NotBefore:                   now.Add(-time.Hour),
		NotAfter:                    now.Add(lifetime),
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid:       true,
		IsCA:                        true,
		MaxPathLenZero:              true,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{loopbackDNSDomain},
		PermittedIPRanges:           loopbackIPRanges,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &CA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// LoadCA reads a CA certificate and its EC private key (PKCS #8 or SEC 1 PEM) from files.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read CA key: %w", err)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("CA certificate %s: no PEM CERTIFICATE block", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA certificate %s: %w", certFile, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("CA certificate %s is not a CA certificate", certFile)
	}
	kblock, _ := pem.Decode(keyPEM)
	if kblock == nil {
		return nil, fmt.Errorf("CA key %s: no PEM block", keyFile)
	}
	var key *ecdsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(kblock.Bytes); err == nil {
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("CA key %s is not an ECDSA key", keyFile)
		}
		key = ek
	} else if ek, err2 := x509.ParseECPrivateKey(kblock.Bytes); err2 == nil {
		key = ek
	} else {
		return nil, fmt.Errorf("CA key %s: %w", keyFile, err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("CA key %s does not match certificate %s", keyFile, certFile)
	}
	return &CA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}, nil
}

// LoadOrCreateCA loads ca.pem and ca-key.pem from dir, or generates a CA and writes them there (the key
// with mode 0600) when neither exists. A CA that expires within CARenewBefore, or that lacks the loopback
// name constraints (written by an older emulator, valid for ten years), is replaced by a new one. Exactly
// one of the two files existing is an error.
func LoadOrCreateCA(dir string) (*CA, error) {
	return loadOrCreateCA(dir, time.Now())
}

func loadOrCreateCA(dir string, now time.Time) (*CA, error) {
	certFile, keyFile := filepath.Join(dir, CAFileName), filepath.Join(dir, CAKeyFileName)
	_, certErr := os.Stat(certFile)
	_, keyErr := os.Stat(keyFile)
	switch {
	case certErr == nil && keyErr == nil:
		ca, err := LoadCA(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		if !ca.needsRenewal(now) {
			return ca, nil
		}
	case errors.Is(certErr, os.ErrNotExist) && errors.Is(keyErr, os.ErrNotExist):
	default:
		return nil, fmt.Errorf("certificate directory %s must hold both %s and %s or neither", dir, CAFileName, CAKeyFileName)
	}
	ca, err := newCA(now, CALifetime)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create certificate directory: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, fmt.Errorf("encode CA key: %w", err)
	}
	if err := writeFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certFile, ca.certPEM, 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// needsRenewal reports whether the CA expires within CARenewBefore of now, or may sign for more than the
// loopback names.
func (ca *CA) needsRenewal(now time.Time) bool {
	return now.Add(CARenewBefore).After(ca.cert.NotAfter) || !loopbackOnly(ca.cert)
}

// loopbackOnly reports whether a CA certificate carries exactly the loopback name constraints, critical.
func loopbackOnly(cert *x509.Certificate) bool {
	if !cert.PermittedDNSDomainsCritical || len(cert.PermittedDNSDomains) != 1 || cert.PermittedDNSDomains[0] != loopbackDNSDomain ||
		len(cert.PermittedIPRanges) != len(loopbackIPRanges) {
		return false
	}
	for i, r := range cert.PermittedIPRanges {
		if !r.IP.Equal(loopbackIPRanges[i].IP) || r.Mask.String() != loopbackIPRanges[i].Mask.String() {
			return false
		}
	}
	return true
}

// NotAfter returns the end of the CA's validity.
func (ca *CA) NotAfter() time.Time { return ca.cert.NotAfter }

// CertPEM returns the CA certificate in PEM form, for clients to trust.
func (ca *CA) CertPEM() []byte { return append([]byte(nil), ca.certPEM...) }

// Pool returns a certificate pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return pool
}

// IssueServerCertificate issues a leaf certificate for 127.0.0.1, ::1, localhost and the extra hosts
// (IP addresses or DNS names), valid as long as the CA. A name outside the CA's loopback constraints is
// written into the certificate but fails every client's verification.
func (ca *CA) IssueServerCertificate(extraHosts ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate server key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "lkps-emulator", Organization: []string{"lkps-emulator"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     ca.cert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	for _, h := range extraHosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse server certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// writeServerCertificate writes the leaf chain and key as PEM into dir.
func writeServerCertificate(dir string, cert tls.Certificate) error {
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return errors.New("server key is not ECDSA")
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode server key: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, CertKeyFileName), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, CertFileName), chain, 0o644)
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, fmt.Errorf("generate certificate serial: %w", err)
	}
	return serial, nil
}

var testCA struct {
	once sync.Once
	ca   *CA
	file string
	err  error
}

// TestCA returns the process-wide CA that signs every test server's certificate, creating it (and its
// PEM file, see TestCAFile) on first use. One CA per process lets a test binary set SSL_CERT_FILE once
// in TestMain and trust every emulator its tests start.
func TestCA() (*CA, error) {
	testCA.once.Do(func() {
		ca, err := NewCA()
		if err != nil {
			testCA.err = err
			return
		}
		dir, err := os.MkdirTemp("", "lkps-emulator-ca-")
		if err != nil {
			testCA.err = fmt.Errorf("create test CA directory: %w", err)
			return
		}
		file := filepath.Join(dir, CAFileName)
		if err := os.WriteFile(file, ca.certPEM, 0o644); err != nil {
			testCA.err = fmt.Errorf("write test CA file: %w", err)
			return
		}
		testCA.ca, testCA.file = ca, file
	})
	return testCA.ca, testCA.err
}

// TestCAFile returns the path of the PEM file holding the process-wide test CA certificate, creating the
// CA on first use. It panics when the CA cannot be created or written, which only happens when the
// temporary directory is unusable. Point SSL_CERT_FILE at it in TestMain, before any TLS client loads
// the system roots.
func TestCAFile() string {
	if _, err := TestCA(); err != nil {
		panic(fmt.Sprintf("emulator: test CA: %v", err))
	}
	return testCA.file
}

// SystemRootsFiles are the PEM files the system's trusted roots are read from, in this order, when
// WriteTrustBundle is given none: the first that exists is used. They are the files Go's crypto/x509
// reads on Linux (and /etc/ssl/cert.pem on macOS and the BSDs).
var SystemRootsFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine, macOS, BSDs
}

// FindSystemRoots returns the file of system roots WriteTrustBundle uses by default: $SSL_CERT_FILE when
// it names a file (the user's chosen roots, e.g. with a corporate proxy's CA), else the first of
// SystemRootsFiles that exists, else "".
func FindSystemRoots() string {
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			return f
		}
	}
	for _, f := range SystemRootsFiles {
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			return f
		}
	}
	return ""
}

// WriteTrustBundle writes CABundleFileName into dir: the certificates of rootsFile (the system's trusted
// roots), then the CA of ca.pem in dir. Pointing SSL_CERT_FILE and CURL_CA_BUNDLE at it lets a shell
// trust the emulator and still reach every other TLS server (the Terraform registry, other providers),
// which the CA alone would break. Certificates of earlier emulator CAs in rootsFile (an SSL_CERT_FILE
// exported by a previous run) are left out. An empty rootsFile writes the CA alone. It returns the
// bundle's path and how many roots it took from rootsFile.
func WriteTrustBundle(dir, rootsFile string) (string, int, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, CAFileName))
	if err != nil {
		return "", 0, fmt.Errorf("read the emulator CA: %w", err)
	}
	var bundle []byte
	roots := 0
	if rootsFile != "" {
		raw, err := os.ReadFile(rootsFile) // #nosec G304 -- the user's or the system's roots file
		if err != nil {
			return "", 0, fmt.Errorf("read the system roots: %w", err)
		}
		for rest := raw; ; {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				continue
			}
			if cert, err := x509.ParseCertificate(block.Bytes); err == nil && isEmulatorCA(cert) {
				continue
			}
			bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes})...)
			roots++
		}
		if roots == 0 {
			return "", 0, fmt.Errorf("the system roots file %s holds no certificate", rootsFile)
		}
	}
	bundle = append(bundle, caPEM...)
	path := filepath.Join(dir, CABundleFileName)
	if err := writeFileAtomic(path, bundle, 0o644); err != nil {
		return "", 0, err
	}
	return path, roots, nil
}

// isEmulatorCA reports whether a certificate is a CA generated by this emulator (any version).
func isEmulatorCA(cert *x509.Certificate) bool {
	return cert.IsCA && len(cert.Subject.Organization) == 1 && cert.Subject.Organization[0] == caOrganization
}
