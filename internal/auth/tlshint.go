package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"golang.org/x/net/http/httpproxy"

	"github.com/bayer/terraform-provider-lkps/internal/badcert"
)

// The one wording of a failure to reach a service at the transport level (Microsoft Graph, Entra ID's
// token endpoint, LKPS): the host, the cause in words, and what to do. Two families:
//
//   - the connection: the name does not resolve, the connection is refused or the network unreachable,
//     the proxy fails, or nothing answers in time. The usual cause is a machine outside the company
//     network: the LKPS hosts under int.bayer.com resolve and answer only inside it, so a pipeline needs
//     a self-hosted runner (agent pool) there, and a workstation the VPN or the company's proxy;
//   - TLS: a certificate this machine does not trust, one issued for another host, or an expired one.
//     The usual cause on a workstation is the local emulator's exports not loaded in the shell that runs
//     Terraform, or a TLS-inspecting proxy whose CA is not in the bundle.

// EmulatorExportsHint says how to load the local emulator's exports, which point the provider at the
// emulator and make SSL_CERT_FILE trust its CA.
const EmulatorExportsHint = "load the emulator's exports in the shell that runs Terraform: `. bin/emulator/env` " +
	"after `make emulator` in the repository, or the file you passed to lkps-emulator --env-file (it sets SSL_CERT_FILE " +
	"to a bundle of the system's roots plus the emulator's CA, and the endpoint variables)"

// Diagnostic summaries of the transport failures ClassifyTransport knows.
const (
	SummaryTLSUntrusted       = "TLS certificate not trusted"
	SummaryTLSOtherHost       = "TLS certificate issued for another host"
	SummaryTLSExpired         = "TLS certificate expired"
	SummaryNameNotResolved    = "Host name not resolved"
	SummaryConnectionRefused  = "Connection refused"
	SummaryNetworkUnreachable = "Network unreachable"
	SummaryProxyFailed        = "Proxy failed"
	SummaryConnectionTimeout  = "Connection timed out"
)

// Causes of the transport failures ClassifyTransport knows, in words (TransportFailure.Cause).
const (
	CauseNameNotResolved    = "name not resolved"
	CauseConnectionRefused  = "connection refused"
	CauseNetworkUnreachable = "network unreachable"
	CauseProxy              = "proxy"
	CauseTimeout            = "timeout"
	CauseTLSUntrusted       = "TLS: certificate not trusted"
	CauseTLSOtherHost       = "TLS: certificate for another host"
	CauseTLSExpired         = "TLS: certificate expired"
)

// TransportFailure is a transport-level failure classified for its fix.
type TransportFailure struct {
	// Summary is a diagnostic summary line.
	Summary string
	// Host is the host (and port) the request went to, or "the server" when the error does not say.
	Host string
	// Cause is one of the Cause* constants.
	Cause string
	// Advice is what is wrong and the fix, in full sentences.
	Advice string
}

// insideNetworkAdvice is what to do when a host cannot be reached from where Terraform runs.
func insideNetworkAdvice(host string) string {
	s := "Run Terraform where " + host + " is reachable: "
	if isInternalHost(host) {
		s = "The LKPS hosts under int.bayer.com resolve and answer only inside Bayer's network. Run Terraform there: "
	}
	return s + "in a pipeline, on a self-hosted runner (GitHub Actions) or a self-hosted agent pool (Azure DevOps) " +
		"inside the company network, not on a hosted runner (ubuntu-latest, vmImage: ubuntu-latest); on a workstation, " +
		"connected to the VPN. Where the company network is reached through a proxy, set HTTPS_PROXY (and NO_PROXY for " +
		"hosts reached directly). Check also the endpoint overrides (lkps_base_url, graph_base_url, authority_host and " +
		"their LKPS_* variables)."
}

// isInternalHost reports whether host (with or without a port) lies under int.bayer.com.
func isInternalHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.HasSuffix(strings.ToLower(host), ".int.bayer.com")
}

// ClassifyTransport classifies err (a token request's or an HTTP call's failure, however wrapped); ok is
// false when err is no transport failure it knows (an answer, or an operation's own deadline).
func ClassifyTransport(err error) (f TransportFailure, ok bool) {
	if err == nil {
		return TransportFailure{}, false
	}
	if f, ok := classifyTLS(err); ok {
		return f, true
	}
	return classifyConnection(err)
}

// PermanentTransportFailure reports whether err is a transport failure that sending again cannot fix:
// a certificate the client refuses, or a host name that does not resolve.
func PermanentTransportFailure(err error) bool {
	var dnsErr *net.DNSError
	return badcert.Is(err) || errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// classifyConnection classifies failures to connect: name resolution, refusal, an unreachable network,
// the proxy, and timeouts.
func classifyConnection(err error) (TransportFailure, bool) {
	host := hostOf(err)
	proxy := proxyFor(err)
	var (
		dns *net.DNSError
		op  *net.OpError
	)
	hasOp := errors.As(err, &op)
	switch {
	case hasOp && op.Op == "proxyconnect":
		return proxyFailure(host, proxyHost(op, proxy), err), true
	case errors.As(err, &dns):
		cause := fmt.Sprintf("The name %s could not be resolved from this machine (%s)", dnsName(dns, host), dns.Err)
		if !dns.IsNotFound {
			cause = fmt.Sprintf("The DNS lookup of %s failed (%s): the resolver did not answer", dnsName(dns, host), dns.Err)
		}
		return TransportFailure{Summary: SummaryNameNotResolved, Host: host, Cause: CauseNameNotResolved,
			Advice: cause + ", so the provider did not send the request. " + insideNetworkAdvice(host)}, true
	case errors.Is(err, syscall.ECONNREFUSED):
		if proxy != "" {
			return proxyFailure(host, proxy, err), true
		}
		return TransportFailure{Summary: SummaryConnectionRefused, Host: host, Cause: CauseConnectionRefused,
			Advice: fmt.Sprintf("%s refused the connection: nothing listens there, or a firewall rejects this machine. If it "+
				"is the local emulator, start it (`make emulator`) and load its exports again (the port may have changed). %s",
				host, insideNetworkAdvice(host))}, true
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return TransportFailure{Summary: SummaryNetworkUnreachable, Host: host, Cause: CauseNetworkUnreachable,
			Advice: fmt.Sprintf("This machine has no route to %s. %s", host, insideNetworkAdvice(host))}, true
	case isTimeout(err, hasOp):
		where := ""
		if proxy != "" {
			where = " through the proxy " + proxy
		}
		return TransportFailure{Summary: SummaryConnectionTimeout, Host: host, Cause: CauseTimeout,
			Advice: fmt.Sprintf("%s did not answer in time%s: a firewall drops the packets, or the host is not reachable "+
				"from this network. %s", host, where, insideNetworkAdvice(host))}, true
	case proxy != "" && isConnectRefusal(err):
		return proxyFailure(host, proxy, err), true
	}
	return TransportFailure{}, false
}

// proxyFailure is the failure of the proxy named proxy on the way to host.
func proxyFailure(host, proxy string, err error) TransportFailure {
	return TransportFailure{Summary: SummaryProxyFailed, Host: host, Cause: CauseProxy,
		Advice: fmt.Sprintf("The request to %s went through the proxy %s (from HTTPS_PROXY or https_proxy), which failed: %s. "+
			"Check HTTPS_PROXY (the proxy's address and port, and its credentials if it asks for them), or exempt the host "+
			"from the proxy with NO_PROXY when it is reached directly (the LKPS hosts under int.bayer.com usually are, from "+
			"inside the company network).", host, proxy, rootMessage(err))}
}

// isTimeout reports whether err is a connection or read that did not complete in time. An operation's
// own deadline (context.DeadlineExceeded with no network operation under it) is not: it is the
// operation's timeout, which the callers word themselves.
func isTimeout(err error, hasOp bool) bool {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return false
	}
	if hasOp {
		return true
	}
	msg := err.Error()
	return !errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "TLS handshake timeout") ||
		strings.Contains(msg, "Client.Timeout exceeded")
}

// isConnectRefusal recognises a proxy's refusal of a CONNECT request: Go's transport returns the status
// text of the proxy's answer ("Proxy Authentication Required", "Forbidden") as the whole error, with no
// answer from the target.
func isConnectRefusal(err error) bool {
	var u *url.Error
	if !errors.As(err, &u) || u.Err == nil {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	msg := u.Err.Error()
	return !strings.Contains(msg, ":") && !strings.Contains(msg, "context")
}

// proxyFor names the proxy the environment sets for the failed request's URL, or "".
func proxyFor(err error) string {
	var u *url.Error
	if !errors.As(err, &u) {
		return ""
	}
	target, perr := url.Parse(u.URL)
	if perr != nil || target.Host == "" {
		return ""
	}
	p, perr := httpproxy.FromEnvironment().ProxyFunc()(target)
	if perr != nil || p == nil {
		return ""
	}
	return p.Host
}

// proxyHost names the proxy of a proxyconnect failure.
func proxyHost(op *net.OpError, fromEnv string) string {
	if op.Addr != nil {
		return op.Addr.String()
	}
	if fromEnv != "" {
		return fromEnv
	}
	return "set in the environment"
}

// dnsName is the name a DNS error is about.
func dnsName(dns *net.DNSError, host string) string {
	if dns.Name != "" {
		return dns.Name
	}
	return host
}

// rootMessage is the innermost message of err, without the request line url.Error puts before it.
func rootMessage(err error) string {
	var u *url.Error
	if errors.As(err, &u) && u.Err != nil {
		return u.Err.Error()
	}
	return err.Error()
}

// classifyTLS classifies certificate failures.
func classifyTLS(err error) (TransportFailure, bool) {
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
			Summary: SummaryTLSUntrusted, Host: host, Cause: CauseTLSUntrusted,
			Advice: fmt.Sprintf("The TLS certificate of %s is signed by an authority this machine does not trust, so the "+
				"provider did not send the request. If %s is the local emulator, %s. Behind a TLS-inspecting proxy, set "+
				"SSL_CERT_FILE to a PEM bundle of the system's roots plus the proxy's CA (the CA bundle your company "+
				"distributes).", host, host, EmulatorExportsHint),
		}, true
	case errors.As(err, &hostname) || strings.Contains(msg, "certificate is valid for"):
		return TransportFailure{
			Summary: SummaryTLSOtherHost, Host: host, Cause: CauseTLSOtherHost,
			Advice: fmt.Sprintf("The TLS certificate of %s was issued for other host names (%s). Check the endpoint "+
				"overrides (lkps_base_url, graph_base_url, authority_host and their LKPS_* variables): the local "+
				"emulator's certificate is valid only for localhost and loopback addresses.", host, msg),
		}, true
	case (errors.As(err, &invalid) && invalid.Reason == x509.Expired) || strings.Contains(msg, "certificate has expired"):
		return TransportFailure{
			Summary: SummaryTLSExpired, Host: host, Cause: CauseTLSExpired,
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
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.Name != "" {
		return dns.Name
	}
	return "the server"
}
