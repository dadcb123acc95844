package lkpsapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Identity headers Ocelot injects (seed "Ocelot Access Setup", "How Ocelot Authenticates Requests").
const (
	headerUserID      = "user-id"
	headerClientID    = "client-id"
	headerBayerUser   = "x-bayer-user"
	headerUserProfile = "user-profile"
)

var identityHeaders = []string{headerUserID, headerClientID, headerBayerUser, headerUserProfile}

// userProfile is the JSON object of the user-profile header.
type userProfile struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	DisplayName string `json:"displayName"`
	Email       string `json:"email"`
	UserID      string `json:"user_id"`
}

// ocelotError is the body of every error the gateway itself returns. It has "source" and never
// "detail", which is how clients tell Ocelot's refusals from LKPS's (DESIGN.md).
type ocelotError struct {
	Source  string `json:"source"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeOcelotError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, ocelotError{Source: "ocelot", Error: code, Message: message})
}

// writeUnauthorized sends Ocelot's 401: the RFC 6750 challenge and the JSON body, both with the reason.
func writeUnauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+quoteEscape(message)+`"`)
	writeOcelotError(w, http.StatusUnauthorized, "invalid_token", message)
}

// quoteEscape makes s safe inside a quoted-string of an HTTP header.
func quoteEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", " ", "\n", " ").Replace(s)
}

// serveGateway is Ocelot: route selection, token validation, Client Access List, identity headers.
func (s *Service) serveGateway(w http.ResponseWriter, r *http.Request) {
	if s.serveProxyPage(w) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok {
		writeOcelotError(w, http.StatusNotFound, "route_not_found", "No Ocelot route serves "+r.URL.Path+".")
		return
	}
	env, rest, _ := strings.Cut(rest, "/")
	region, downstream, _ := strings.Cut(rest, "/")
	route, err := environments.Lookup(environments.Environment(env), environments.Region(region))
	if err != nil {
		writeOcelotError(w, http.StatusNotFound, "route_not_found",
			"No Ocelot route for "+PathPrefix+env+"/"+region+": "+err.Error()+".")
		return
	}

	claims, ok := s.authenticate(w, r, route)
	if !ok {
		return
	}
	if !s.allowed(route.Key(), claims.AppID) {
		msg := "Client application '" + claims.AppID + "' is not on the Client Access List of route " + route.LKPSHost +
			". Request access at " + route.OcelotRouteURL + "."
		if claims.AppID == "" {
			msg = "The token has no appid claim, so it matches no entry of the Client Access List of route " + route.LKPSHost + "."
		}
		writeOcelotError(w, http.StatusForbidden, "client_not_allowed", msg)
		return
	}

	fwd := r.Clone(r.Context())
	fwd.URL.Path = "/" + downstream
	fwd.URL.RawPath = ""
	fwd.RequestURI = ""
	stripIdentityHeaders(fwd.Header)
	injectIdentityHeaders(fwd.Header, claims)
	s.downstream(w, fwd, route)
}

// authenticate validates the bearer token for route, writing Ocelot's 401 when it fails.
func (s *Service) authenticate(w http.ResponseWriter, r *http.Request, route environments.Entry) (entra.Claims, bool) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		writeUnauthorized(w, "The request has no Authorization header; send 'Authorization: Bearer <token>' with a token for "+route.LKPSScope+".")
		return entra.Claims{}, false
	}
	scheme, token, _ := strings.Cut(authz, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		writeUnauthorized(w, "The Authorization header is not a Bearer token.")
		return entra.Claims{}, false
	}
	claims, err := s.verifier.Verify(token, route.LKPSAudience)
	switch {
	case err == nil:
		return claims, true
	case errors.Is(err, entra.ErrExpired):
		writeUnauthorized(w, "The token is expired; request a new one.")
	case errors.Is(err, entra.ErrWrongAudience):
		writeUnauthorized(w, "The token's audience is not "+route.LKPSAudience+", the LKPS audience of the "+
			string(route.Environment)+" environment; request the token with scope "+route.LKPSScope+".")
	default:
		writeUnauthorized(w, "The token is invalid: its signature, issuer or format was not accepted.")
	}
	return entra.Claims{}, false
}

// allowed reports whether appID is on the Client Access List of the route.
func (s *Service) allowed(routeKey, appID string) bool {
	if appID == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.accessLists[routeKey], strings.ToLower(appID))
}

// stripIdentityHeaders removes every header a caller could use to pose as another identity, including
// spellings with underscores or other case, which some servers fold into the same name.
func stripIdentityHeaders(h http.Header) {
	for name := range h {
		folded := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if slices.Contains(identityHeaders, folded) {
			delete(h, name)
		}
	}
}

// injectIdentityHeaders sets the headers of the seed's table from the validated claims: user-id from
// oid, client-id from appid, x-bayer-user from email, and user-profile assembled from the name claims.
// Claims a token lacks (app-only tokens carry no email or names) are injected as empty values, so a
// header is never left for the caller to supply.
func injectIdentityHeaders(h http.Header, c entra.Claims) {
	h.Set(headerUserID, c.ObjectID)
	h.Set(headerClientID, c.AppID)
	h.Set(headerBayerUser, c.Email)
	profile, err := json.Marshal(userProfile{
		FirstName: c.GivenName, LastName: c.FamilyName, DisplayName: c.Name, Email: c.Email, UserID: c.ObjectID,
	})
	if err != nil { // a struct of strings always marshals
		panic(err)
	}
	h.Set(headerUserProfile, string(profile))
}
