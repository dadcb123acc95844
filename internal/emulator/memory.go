package emulator

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
)

// In-memory mode (Config.InMemory): no listener, no TLS; HTTPClient's transport hands each request to
// the emulator's handler in this process. The handler, the rules, the faults and the replication lag
// are the same as over the network. It exists for tests that run in a testing/synctest bubble, where a
// goroutine blocked on a real socket would stop the bubble's clock: there, seconds of replication lag
// and Retry-After cost no wall time, and the interleavings are deterministic.

// inMemoryBaseURL is the base URL of an in-memory emulator: https (azidentity refuses an http
// authority), on loopback, on a port nothing listens on, so a request that bypasses the in-memory
// transport fails at once instead of reaching another server.
const inMemoryBaseURL = "https://127.0.0.1:9"

// memoryTransport serves requests with the emulator's handler.
type memoryTransport struct{ h http.Handler }

// errConnectionReset is what a client sees when the handler drops the connection (http.ErrAbortHandler).
var errConnectionReset = fmt.Errorf("in-memory emulator: connection reset by peer: %w", syscall.ECONNRESET)

// RoundTrip runs the handler on a copy of the request, as a server would receive it from a loopback
// caller over TLS. A caller whose context ends is answered with its error at once, while the handler
// finishes on its own, as a real server does.
func (t memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	in.RemoteAddr = "127.0.0.1:50000"
	in.RequestURI = req.URL.RequestURI()
	in.TLS = &tls.ConnectionState{HandshakeComplete: true, Version: tls.VersionTLS13}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		rec := httptest.NewRecorder()
		defer func() {
			if p := recover(); p != nil {
				if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					done <- answer{err: errConnectionReset}
					return
				}
				done <- answer{err: fmt.Errorf("in-memory emulator: handler panicked: %v", p)}
			}
		}()
		t.h.ServeHTTP(rec, in)
		resp := rec.Result()
		resp.Request = req
		done <- answer{resp: resp}
	}()
	select {
	case a := <-done:
		return a.resp, a.err
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
}
