package auth

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// The one wording of a failure to reach a service at the transport level (Microsoft Graph, Entra ID's
// token endpoint, LKPS): a TLS certificate this machine does not trust, one issued for another host, or
// an expired one. The usual cause on a workstation is the local
// emulator's exports not loaded in the shell that runs Terraform, so the fix names them first.

// EmulatorExportsHint says how to load the local emulator's exports, which point the provider at the
// emulator and make SSL_CERT_FILE trust its CA.
const EmulatorExportsHint = "load the emulator's exports in the shell that runs Terraform: `. bin/emulator/env` " +
	"after `make emulator` in the repository, or the file you passed to lkps-emulator --env-file (it sets SSL_CERT_FILE " +
	"to a bundle of the system's roots plus the emulator's CA, and the endpoint variables)"

// Diagnostic summaries of the transport failures ClassifyTransport knows.
const (
	SummaryTLSUntrusted = "TLS certificate not trusted"
	SummaryTLSOtherHost = "TLS certificate issued for another host"
	SummaryTLSExpired   = "TLS certificate expired"
)

// TransportFailure is a transport-level failure classified for its fix.
type TransportFailure struct {
	// Summary is a diagnostic summary line.
	Summary string
	// Advice is what is wrong and the fix, in full sentences.
	Advice string
}

// ClassifyTransport classifies err (a token request's or an HTTP call's failure, however wrapped); ok is
// false when err is no TLS certificate failure.
func ClassifyTransport(err error) (f TransportFailure, ok bool) {
	if err == nil {
		return TransportFailure{}, false
	}
	host := hostOf(err)
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	msg := err.Error()
	switch {
	case errors.As(err, &unknown) || strings.Contains(msg, "certificate signed by unknown authority"):
		return TransportFailure{
			Summary: SummaryTLSUntrusted,
			Advice: fmt.Sprintf("The TLS certificate of %s is signed by an authority this machine does not trust, so the "+
				"provider did not send the request. If %s is the local emulator, %s. Behind a TLS-inspecting proxy, set "+
				"SSL_CERT_FILE to a PEM bundle of the system's roots plus the proxy's CA.", host, host, EmulatorExportsHint),
		}, true
	case errors.As(err, &hostname) || strings.Contains(msg, "certificate is valid for"):
		return TransportFailure{
			Summary: SummaryTLSOtherHost,
			Advice: fmt.Sprintf("The TLS certificate of %s was issued for other host names (%s). Check the endpoint "+
				"overrides (lkps_base_url, graph_base_url, authority_host and their LKPS_* variables): the local "+
				"emulator's certificate is valid only for localhost and loopback addresses.", host, msg),
		}, true
	case (errors.As(err, &invalid) && invalid.Reason == x509.Expired) || strings.Contains(msg, "certificate has expired"):
		return TransportFailure{
			Summary: SummaryTLSExpired,
			Advice: fmt.Sprintf("The TLS certificate of %s has expired or is not valid yet (check this machine's clock). "+
				"The local emulator's certificates live 7 days: restart the emulator, which issues new ones, and %s.",
				host, EmulatorExportsHint),
		}, true
	}
	return TransportFailure{}, false
}

// hostOf names the host of the failed request, or "the server" when err does not say.
func hostOf(err error) string {
	var u *url.Error
	if errors.As(err, &u) {
		if parsed, perr := url.Parse(u.URL); perr == nil && parsed.Host != "" {
			return parsed.Host
		}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return op.Addr.String()
	}
	return "the server"
}
