package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Each transport failure, produced for real where this machine can (a name that does not resolve, a
// closed port, a proxy that refuses or is down, a server that never answers), must name the host, the
// cause in words and what to do.

// clearProxyEnv makes the classifier see no proxy, whatever the machine sets.
func clearProxyEnv(t *testing.T) {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(k, "")
	}
}

// nxdomainResolver is a resolver whose DNS server (on loopback) answers every query NXDOMAIN, as a
// resolver outside the company network answers for a name under int.bayer.com.
func nxdomainResolver(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := new(net.ListenConfig).ListenPacket(t.Context(), "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			resp := append([]byte(nil), buf[:n]...)
			resp[2] = 0x81 | (buf[2] & 0x01) // QR, opcode 0, RD copied
			resp[3] = 0x83                   // RA, RCODE 3 (NXDOMAIN)
			resp[6], resp[7], resp[8], resp[9], resp[10], resp[11] = 0, 0, 0, 0, 0, 0
			_, _ = pc.WriteTo(resp, from)
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// get sends a GET to target with transport tr and returns its error.
func get(t *testing.T, tr *http.Transport, target string, timeout time.Duration) error {
	t.Helper()
	c := &http.Client{Transport: tr, Timeout: timeout}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err == nil {
		_ = res.Body.Close()
		t.Fatalf("GET %s succeeded", target)
	}
	return err
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// wantFailure checks a classification: its summary and cause, the host, and every piece of advice.
func wantFailure(t *testing.T, err error, summary, cause, host string, advice ...string) {
	t.Helper()
	f, ok := ClassifyTransport(err)
	if !ok {
		t.Fatalf("not classified: %v", err)
	}
	if f.Summary != summary || f.Cause != cause {
		t.Errorf("classified as %q (%s), want %q (%s); error: %v", f.Summary, f.Cause, summary, cause, err)
	}
	if f.Host != host || !strings.Contains(f.Advice, host) {
		t.Errorf("host %q, want %q named in the advice: %s", f.Host, host, f.Advice)
	}
	for _, a := range advice {
		if !strings.Contains(f.Advice, a) {
			t.Errorf("the advice does not say %q: %s", a, f.Advice)
		}
	}
}

func TestClassifyTransport_nameNotResolved(t *testing.T) {
	clearProxyEnv(t)
	tr := &http.Transport{DialContext: (&net.Dialer{Resolver: nxdomainResolver(t)}).DialContext}
	err := get(t, tr, "https://eu-livekit-platform-service-np.int.bayer.com/api/health", 10*time.Second)
	wantFailure(t, err, SummaryNameNotResolved, CauseNameNotResolved, "eu-livekit-platform-service-np.int.bayer.com",
		"could not be resolved", "only inside Bayer's network", "self-hosted runner", "self-hosted agent pool", "HTTPS_PROXY")
}

func TestClassifyTransport_connectionRefused(t *testing.T) {
	clearProxyEnv(t)
	addr := closedPort(t)
	err := get(t, &http.Transport{}, "https://"+addr+"/api/health", 10*time.Second)
	wantFailure(t, err, SummaryConnectionRefused, CauseConnectionRefused, addr, "refused the connection", "make emulator", "self-hosted runner")
}

func TestClassifyTransport_networkUnreachable(t *testing.T) {
	// No route is not something a test machine can produce on demand: the error as the dialer returns it.
	err := &url.Error{Op: "Post", URL: "https://us-livekit-platform-service.int.bayer.com/api/session/start",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &osSyscallError{syscall.ENETUNREACH}}}
	wantFailure(t, err, SummaryNetworkUnreachable, CauseNetworkUnreachable, "us-livekit-platform-service.int.bayer.com",
		"no route", "only inside Bayer's network", "VPN")
}

// osSyscallError wraps an errno as os.SyscallError does.
type osSyscallError struct{ errno syscall.Errno }

func (e *osSyscallError) Error() string { return "connect: " + e.errno.Error() }
func (e *osSyscallError) Unwrap() error { return e.errno }

func TestClassifyTransport_proxyRefuses(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "login first", http.StatusProxyAuthRequired)
	}))
	t.Cleanup(proxy.Close)
	clearProxyEnv(t)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	proxyURL, _ := url.Parse(proxy.URL)
	err := get(t, &http.Transport{Proxy: http.ProxyURL(proxyURL)}, "https://eu-livekit-platform-service-np.int.bayer.com/api/health", 10*time.Second)
	wantFailure(t, err, SummaryProxyFailed, CauseProxy, "eu-livekit-platform-service-np.int.bayer.com",
		"through the proxy "+proxyURL.Host, "Proxy Authentication Required", "NO_PROXY", "HTTPS_PROXY")
}

func TestClassifyTransport_proxyDown(t *testing.T) {
	clearProxyEnv(t)
	addr := closedPort(t)
	t.Setenv("HTTPS_PROXY", "http://"+addr)
	proxyURL, _ := url.Parse("http://" + addr)
	err := get(t, &http.Transport{Proxy: http.ProxyURL(proxyURL)}, "https://graph.microsoft.com/v1.0/applications", 10*time.Second)
	wantFailure(t, err, SummaryProxyFailed, CauseProxy, "graph.microsoft.com", "through the proxy "+addr, "connection refused", "HTTPS_PROXY")
}

func TestClassifyTransport_timeout(t *testing.T) {
	clearProxyEnv(t)
	l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() { // accepts, never answers; closes its connections once the listener is closed
		var conns []net.Conn
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range conns {
					_ = c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	addr := l.Addr().String()
	err = get(t, &http.Transport{}, "http://"+addr+"/api/health", 300*time.Millisecond)
	wantFailure(t, err, SummaryConnectionTimeout, CauseTimeout, addr, "did not answer in time", "firewall", "self-hosted runner")
}

func TestClassifyTransport_tls(t *testing.T) {
	clearProxyEnv(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	err := get(t, &http.Transport{}, srv.URL, 10*time.Second)
	wantFailure(t, err, SummaryTLSUntrusted, CauseTLSUntrusted, strings.TrimPrefix(srv.URL, "https://"), "SSL_CERT_FILE", "CA bundle")
}

// An operation's own deadline, and answers, are no transport failure: their callers word them.
func TestClassifyTransport_notTransport(t *testing.T) {
	clearProxyEnv(t)
	for _, err := range []error{
		context.DeadlineExceeded,
		&url.Error{Op: "Get", URL: "https://graph.microsoft.com/v1.0/applications", Err: context.DeadlineExceeded},
		errors.New("graph: 409 Directory_ConcurrencyViolation"),
		nil,
	} {
		if f, ok := ClassifyTransport(err); ok {
			t.Errorf("%v classified as %q", err, f.Summary)
		}
	}
}

// Certificate refusals and names that do not resolve are permanent; every other transport failure may
// pass when sent again.
func TestPermanentTransportFailure(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://login.example/token", Err: err} }
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"unknown authority", wrap(x509.UnknownAuthorityError{}), true},
		{"other host", wrap(x509.HostnameError{Host: "login.example"}), true},
		{"expired", wrap(x509.CertificateInvalidError{Reason: x509.Expired}), true},
		{"verification", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), true},
		{"name not found", wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Name: "login.example", IsNotFound: true}}), true},
		{"resolver timeout", wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Name: "login.example", IsTimeout: true}}), false},
		{"refused", wrap(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), false},
		{"reset", wrap(syscall.ECONNRESET), false},
	} {
		if got := PermanentTransportFailure(tc.err); got != tc.want {
			t.Errorf("%s: PermanentTransportFailure = %v, want %v", tc.name, got, tc.want)
		}
	}
}
