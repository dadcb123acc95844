package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
)

// Handler returns the emulator's HTTP handler (all parts and the admin API), routed by router.go.
func (s *Server) Handler() http.Handler {
	return s.logRequests(collapseSlashes(s.router()))
}

// collapseSlashes serves a path with repeated slashes as if they were single, instead of letting the mux
// answer with a redirect. Clients that join a base URL ending in "/" (the metadata document's
// microsoftGraphResourceId, as in Azure's own) with a path starting with "/" send such paths, and a
// redirected PATCH would lose its body.
func collapseSlashes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "//") {
			r2 := r.Clone(r.Context())
			p := r.URL.Path
			for strings.Contains(p, "//") {
				p = strings.ReplaceAll(p, "//", "/")
			}
			r2.URL.Path = p
			r2.URL.RawPath = ""
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		s.logger.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Counter names of the parts other than Graph (whose names are graphapi.Route*).
const (
	CounterEntraToken     = "entra token"
	CounterEntraDiscovery = "entra discovery"
	CounterEntraKeys      = "entra keys"
	CounterOIDCIssuer     = "oidc issuer"
	CounterMetadata       = "metadata"
	CounterLKPSRegister   = "lkps POST register"
	CounterLKPSSession    = "lkps POST session start"
	CounterLKPSHealth     = "lkps GET health"
	CounterLKPSOther      = "lkps other"
)

// part is one of the services the emulator serves, under a path pattern. Every route the emulator
// serves is registered in Server.parts and served by Server.router, and nowhere else (router_test.go
// fails when a handler is registered another way): the router counts each request under its route's
// name (one counter for all parts) and adds the fault injector's latency to the parts that model
// Graph, before the part's handler sees the request. Graph's fault decisions (429, 503, 409, ambiguous
// writes) are made by its one request pipeline (graphapi's serve) after authentication, as Graph
// throttles an identified caller; every Graph route goes through it.
type part struct {
	// pattern is the ServeMux pattern of the part.
	pattern string
	// strip is the prefix removed from the path before route and handler see it.
	strip string
	// route names the request's route, the counter it is counted under; "" leaves it uncounted. Nil
	// means the part is not counted at all (the admin API).
	route func(r *http.Request) string
	// faults says whether the fault injector's latency applies (the parts that model Graph).
	faults  bool
	handler http.Handler
}

// parts is the emulator's route table.
func (s *Server) parts() []part {
	return []part{
		{pattern: "/graph/", strip: "/graph", route: s.graph.RouteName, faults: true, handler: s.graph.Handler()},
		{pattern: lkpsapi.PathPrefix, route: lkpsRoute, handler: s.lkps.Handler()},
		{pattern: "/_emulator/", handler: s.admin.handler()},
		{pattern: "/metadata/endpoints", route: func(*http.Request) string { return CounterMetadata }, handler: http.HandlerFunc(s.serveMetadata)},
		{pattern: "/", route: entraRoute, handler: s.entra.Handler()},
	}
}

// router builds the one handler of every part.
func (s *Server) router() http.Handler {
	mux := http.NewServeMux()
	for _, p := range s.parts() {
		mux.Handle(p.pattern, s.wrap(p))
	}
	return mux
}

// wrap strips the part's prefix, counts the request in the one counter (s.requests) and delays it
// before the part's handler serves it.
func (s *Server) wrap(p part) http.Handler {
	h := p.handler
	if p.faults {
		h = s.delayed(h)
	}
	if p.route != nil {
		h = s.requests.Wrap(p.route, h)
	}
	if p.strip != "" {
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, stripPrefix(r, p.strip)) })
	}
	return h
}

// delayed adds the fault injector's latency before h serves a request (a request cancelled meanwhile is
// not served).
func (s *Server) delayed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.faults.Latency(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// stripPrefix is http.StripPrefix for one request: the path without prefix (a path without it is
// served as "/").
func stripPrefix(r *http.Request, prefix string) *http.Request {
	p := strings.TrimPrefix(r.URL.Path, prefix)
	rp := strings.TrimPrefix(r.URL.RawPath, prefix)
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path = p
	r2.URL.RawPath = rp
	return r2
}

// entraRoute names the token service's and test issuers' routes; other paths are not counted.
func entraRoute(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/oidc/"):
		return CounterOIDCIssuer
	case strings.HasSuffix(p, "/oauth2/v2.0/token"):
		return CounterEntraToken
	case strings.HasSuffix(p, "/.well-known/openid-configuration"):
		return CounterEntraDiscovery
	case strings.HasSuffix(p, "/keys"):
		return CounterEntraKeys
	}
	return ""
}

// lkpsRoute names the LKPS routes behind the Ocelot gateway.
func lkpsRoute(r *http.Request) string {
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/api/agent/register"):
		return CounterLKPSRegister
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/api/session/start"):
		return CounterLKPSSession
	case r.Method == http.MethodGet && strings.HasSuffix(p, "/api/health"):
		return CounterLKPSHealth
	}
	return CounterLKPSOther
}
