package badcert

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"syscall"
	"testing"
)

func TestIs(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Get", URL: "https://graph.example/v1.0", Err: err} }
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"unknown authority", wrap(x509.UnknownAuthorityError{}), true},
		{"other host", wrap(x509.HostnameError{Host: "graph.example"}), true},
		{"expired", wrap(x509.CertificateInvalidError{Reason: x509.Expired}), true},
		{"verification", wrap(&tls.CertificateVerificationError{Err: errors.New("x509: bad")}), true},
		{"name not found", wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Name: "graph.example", IsNotFound: true}}), false},
		{"refused", wrap(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), false},
		{"reset", wrap(syscall.ECONNRESET), false},
		{"nil", nil, false},
	} {
		if got := Is(tc.err); got != tc.want {
			t.Errorf("%s: Is = %v, want %v", tc.name, got, tc.want)
		}
	}
}
