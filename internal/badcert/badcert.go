// Package badcert says whether a failure is a server certificate that the client refused: the one
// list that the Graph engine's retry policy and the credential and LKPS clients' transport wording
// share (sending again cannot fix it).
package badcert

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// Is reports whether err, anywhere in its chain, is the client refusing the server's certificate: an
// unknown authority, a certificate for another host, an invalid (e.g. expired) certificate, or a
// failed verification.
func Is(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify)
}
