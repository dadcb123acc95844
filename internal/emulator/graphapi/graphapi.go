// Package graphapi serves the emulator's Microsoft Graph v1.0 applications subset, wire-compatible with
// msgraph-sdk-go and the azuread provider: GET (by object id and by appId, with $select), list with
// $filter, PATCH (plain or gzip bodies, property-level merge, whole-collection replacement), POST and
// DELETE. It enforces Graph's validation rules with Graph's codes and messages, answers errors in Graph's
// shape, authorizes callers by Graph app roles and ownership, and injects the faults of package faults.
//
// It also serves what clients that create applications and adjust their owners ask for (owners.go,
// directoryobjects.go): owners of applications and service principals, users, directory objects,
// service principals by id and the tenant's domains. Every path resolves in one dispatch (routes.go).
//
// The handler serves paths that start with "/v1.0/" or "/beta/" (the same paths); the emulator mounts it
// under "/graph".
package graphapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
)

// Graph app roles that matter to the applications API.
const (
	RoleApplicationReadAll      = "Application.Read.All"
	RoleApplicationReadWriteAll = "Application.ReadWrite.All"
	RoleApplicationOwnedBy      = "Application.ReadWrite.OwnedBy"
	RoleDirectoryReadAll        = "Directory.Read.All"
	RoleDirectoryReadWriteAll   = "Directory.ReadWrite.All"
)

// maxBodyBytes bounds request bodies (after decompression).
const maxBodyBytes = 4 << 20

// Caller is the authenticated client of a request, from its access token.
type Caller struct {
	// AppID is the client's application (client) id, the token's appid claim.
	AppID string
	// ObjectID is the client's service principal object id, the token's oid claim.
	ObjectID string
	// Roles are the Graph app roles in the token's roles claim (app-only tokens).
	Roles []string
	// Scopes is the token's scp claim: the delegated permissions of a signed-in user's token; empty for
	// app-only tokens.
	Scopes string
	// DirectoryRoles are the directory role template IDs of a signed-in user (the wids claim).
	DirectoryRoles []string
}

// HasRole reports whether the caller holds one of the roles (case-insensitive).
func (c Caller) HasRole(roles ...string) bool {
	for _, r := range roles {
		if directory.ContainsFold(c.Roles, r) {
			return true
		}
	}
	return false
}

// Errors an Authenticator returns; each maps to a 401 InvalidAuthenticationToken with its own message.
var (
	// ErrTokenInvalid means the token is malformed, badly signed, from another issuer or tenant.
	ErrTokenInvalid = errors.New("access token invalid")
	// ErrTokenExpired means the token's lifetime is over (or has not begun).
	ErrTokenExpired = errors.New("access token expired")
	// ErrTokenAudience means the token was issued for another resource.
	ErrTokenAudience = errors.New("access token audience not accepted")
)

// Authenticator validates a bearer token for Microsoft Graph.
type Authenticator interface {
	// Authenticate returns the caller of a raw bearer token, or an error wrapping one of ErrTokenInvalid,
	// ErrTokenExpired or ErrTokenAudience.
	Authenticate(rawToken string) (Caller, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(rawToken string) (Caller, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(rawToken string) (Caller, error) { return f(rawToken) }

// Config configures the Graph API.
type Config struct {
	// Directory is the tenant's directory.
	Directory *directory.Directory
	// Auth validates bearer tokens.
	Auth Authenticator
	// Faults injects latency and errors; nil injects nothing.
	Faults *faults.Injector
	// BaseURL returns the Graph base URL without version, e.g. "https://127.0.0.1:4443/graph"; it is used
	// in @odata.context and Location.
	BaseURL func() string
	// Now is the clock for error dates; nil means time.Now.
	Now func() time.Time
}

// API is the Graph applications API.
type API struct {
	cfg Config
}

// New returns the API. Directory, Auth and BaseURL are required.
func New(cfg Config) (*API, error) {
	if cfg.Directory == nil || cfg.Auth == nil || cfg.BaseURL == nil {
		return nil, errors.New("graphapi: Directory, Auth and BaseURL are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &API{cfg: cfg}, nil
}

// Handler returns the HTTP handler serving "/v1.0/...". It neither counts requests nor adds latency:
// the emulator's router does both for every route it serves (RouteName names a request's route).
func (a *API) Handler() http.Handler { return http.HandlerFunc(a.serve) }

// target is a parsed request path.
type target struct {
	collection bool
	ref        directory.Ref
}

// serve is the one pipeline of every Graph request: authentication, the path's and method's errors,
// the fault decision (after authentication, as Graph throttles an identified caller), then the
// operation. The emulator's router has counted the request (RouteName) and added the configured
// latency before it gets here; no operation is reached another way.
func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	requestID := directory.NewGUID()
	clientRequestID := r.Header.Get("client-request-id")
	if clientRequestID == "" {
		clientRequestID = requestID
	}
	h := w.Header()
	h.Set("request-id", requestID)
	h.Set("client-request-id", clientRequestID)
	h.Set("OData-Version", "4.0")

	op := a.dispatch(r)
	caller, gerr := a.authenticate(r)
	if gerr != nil {
		h.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		a.fail(w, gerr)
		return
	}
	if op.err != nil {
		a.fail(w, op.err)
		return
	}
	if a.cfg.Faults != nil {
		switch d := a.cfg.Faults.Decide(op.write); d.Kind {
		case faults.Unavailable:
			a.fail(w, newError(http.StatusServiceUnavailable, CodeServiceNotAvailable, MsgServiceNotAvailable))
			return
		case faults.Throttle:
			h.Set("Retry-After", d.RetryAfterHeader(a.cfg.Now()))
			a.fail(w, newError(http.StatusTooManyRequests, CodeTooManyRequests, MsgTooManyRequests))
			return
		case faults.Conflict:
			a.fail(w, newError(http.StatusConflict, CodeConcurrencyViolation, MsgConcurrency))
			return
		}
	}
	if err := op.run(w, r, caller); err != nil {
		a.fail(w, err)
	}
}

func (a *API) fail(w http.ResponseWriter, e *graphError) { writeError(w, a.cfg.Now(), e) }

func (a *API) authenticate(r *http.Request) (Caller, *graphError) {
	authz := r.Header.Get("Authorization")
	scheme, raw, _ := strings.Cut(authz, " ")
	raw = strings.TrimSpace(raw)
	if authz == "" || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return Caller{}, newError(http.StatusUnauthorized, CodeInvalidToken, MsgTokenEmpty)
	}
	caller, err := a.cfg.Auth.Authenticate(raw)
	switch {
	case err == nil:
		return caller, nil
	case errors.Is(err, ErrTokenExpired):
		return Caller{}, newError(http.StatusUnauthorized, CodeInvalidToken, MsgTokenExpired)
	case errors.Is(err, ErrTokenAudience):
		return Caller{}, newError(http.StatusUnauthorized, CodeInvalidToken, MsgTokenAudience)
	default:
		return Caller{}, newError(http.StatusUnauthorized, CodeInvalidToken, MsgTokenInvalid)
	}
}

func routeOf(method string, t target, perr *graphError) string {
	if perr != nil {
		return RouteUnknown
	}
	switch {
	case t.collection && method == http.MethodGet:
		return RouteListApplications
	case t.collection && method == http.MethodPost:
		return RouteCreateApplication
	case !t.collection && method == http.MethodGet:
		return RouteGetApplication
	case !t.collection && method == http.MethodPatch:
		return RoutePatchApplication
	case !t.collection && method == http.MethodDelete:
		return RouteDeleteApplication
	}
	return RouteUnknown
}

// parseApplicationsPath parses "/v1.0/applications", "/v1.0/applications/{id}" and
// "/v1.0/applications(appId='{appId}')" (double quotes accepted), a percent-decoded path without a
// trailing slash (requestPath).
func parseApplicationsPath(p string) (target, *graphError) {
	rest, ok := strings.CutPrefix(p, "/v1.0/")
	if !ok {
		return target{}, newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Invalid version in the request URL '%s'; the emulator serves v1.0.", p))
	}
	const coll = "applications"
	if len(rest) < len(coll) || !strings.EqualFold(rest[:len(coll)], coll) {
		return target{}, newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", firstSegment(rest)))
	}
	rest = rest[len(coll):]
	switch {
	case rest == "":
		return target{collection: true}, nil
	case strings.HasPrefix(rest, "/"):
		id := rest[1:]
		if strings.Contains(id, "/") {
			return target{}, newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", id[strings.IndexByte(id, '/')+1:]))
		}
		if !directory.IsGUID(id) {
			return target{}, newError(http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Invalid object identifier '%s'.", id))
		}
		return target{ref: directory.Ref{ObjectID: id}}, nil
	case strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")"):
		key, value, ok := strings.Cut(rest[1:len(rest)-1], "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "appId") {
			return target{}, newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Bad Request - Error in query syntax: '%s'.", rest))
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '\'' && value[len(value)-1] == '\'' || value[0] == '"' && value[len(value)-1] == '"') {
			value = value[1 : len(value)-1]
		}
		if value == "" {
			return target{}, newError(http.StatusBadRequest, CodeBadRequest, "The key value for appId is empty.")
		}
		return target{ref: directory.Ref{AppID: value}}, nil
	}
	return target{}, newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", firstSegment(coll+rest)))
}

func firstSegment(p string) string {
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return p
}

func notFound(ref directory.Ref) *graphError {
	return newError(http.StatusNotFound, CodeNotFound, fmt.Sprintf(msgNotFoundF, ref.String()))
}

func accessDenied() *graphError {
	return newError(http.StatusForbidden, CodeAccessDenied, MsgAccessDenied)
}

func (a *API) get(w http.ResponseWriter, r *http.Request, c Caller, ref directory.Ref) *graphError {
	sel, gerr := parseSelect(r.URL.Query())
	if gerr != nil {
		return gerr
	}
	rec, err := a.cfg.Directory.Lookup(ref, directory.Replica)
	if errors.Is(err, directory.ErrNotFound) {
		return notFound(ref)
	}
	if err != nil {
		return internal(err)
	}
	if !canRead(c) {
		return accessDenied()
	}
	body, gerr := a.entityJSON(&rec.Application, sel)
	if gerr != nil {
		return gerr
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (a *API) list(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
	if !canRead(c) {
		return accessDenied()
	}
	q := r.URL.Query()
	sel, gerr := parseSelect(q)
	if gerr != nil {
		return gerr
	}
	match, gerr := parseFilter(q.Get("$filter"))
	if gerr != nil {
		return gerr
	}
	return a.writeApplications(w, sel, func(rec *directory.Record) bool { return match(&rec.Application) }, false)
}

// writeApplications answers a collection of the applications of the directory (as a replica sees them)
// that keep selects, projected on sel. typed entries carry their "@odata.type", as Graph's entries of a
// type-cast collection (ownedObjects/microsoft.graph.application) do.
func (a *API) writeApplications(w http.ResponseWriter, sel []string, keep func(*directory.Record) bool, typed bool) *graphError {
	var buf bytes.Buffer
	buf.WriteString(`{"@odata.context":`)
	ctx, _ := json.Marshal(a.cfg.BaseURL() + "/v1.0/$metadata#applications" + selectSuffix(sel))
	buf.Write(ctx)
	buf.WriteString(`,"value":[`)
	n := 0
	for _, rec := range a.cfg.Directory.List(directory.Replica) {
		if !keep(rec) {
			continue
		}
		raw, gerr := projection(&rec.Application, sel)
		if gerr != nil {
			return gerr
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		if typed {
			buf.WriteString(`{"@odata.type":"#microsoft.graph.application",`)
			raw = raw[1:]
		}
		buf.Write(raw)
		n++
	}
	buf.WriteString("]}")
	writeJSON(w, http.StatusOK, buf.Bytes())
	return nil
}

func (a *API) patch(w http.ResponseWriter, r *http.Request, c Caller, ref directory.Ref) *graphError {
	body, sentPreAuth, gerr := parsedBody(r, sentPreAuthorized)
	if gerr != nil {
		return gerr
	}
	tenantID, domains := a.cfg.Directory.TenantID(), a.cfg.Directory.VerifiedDomains()
	policy, now := a.cfg.Directory.AppManagementPolicy(), a.cfg.Now()
	var ruleErr *graphError
	// The update function runs under the directory's lock: it must not call back into the directory.
	_, err := a.cfg.Directory.Update(ref, directory.Replica, func(view, current *directory.Record) (directory.Record, error) {
		if !canWrite(c, current.IsOwner(c.ObjectID)) {
			ruleErr = accessDenied()
			return directory.Record{}, ruleErr
		}
		merged, err := directory.Merge(current.Application, body)
		if err != nil {
			ruleErr = patchError(err)
			return directory.Record{}, ruleErr
		}
		if e := checkRules(ruleInput{
			view: &view.Application, current: &current.Application, next: &merged,
			sentPreAuthorized: sentPreAuth,
			tenantID:          tenantID, verifiedDomains: domains,
			policy: policy, now: now,
		}); e != nil {
			ruleErr = e
			return directory.Record{}, e
		}
		next := current.Clone()
		next.Application = merged
		return next, nil
	})
	if err != nil {
		if ruleErr != nil {
			return ruleErr
		}
		return a.directoryError(err, ref)
	}
	if gerr := a.loseCommittedAnswer(); gerr != nil {
		return gerr
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) create(w http.ResponseWriter, r *http.Request, c Caller) *graphError {
	body, gerr := bodyIf(canCreate(c), r)
	if gerr != nil {
		return gerr
	}
	blank := directory.Application{}
	blank.Normalize()
	app, err := directory.Merge(blank, body)
	if err != nil {
		return patchError(err)
	}
	if app.DisplayName == nil || strings.TrimSpace(*app.DisplayName) == "" {
		return newError(http.StatusBadRequest, CodeRequestBadRequest, "Required property 'displayName' not set.")
	}
	app.ID = directory.NewGUID()
	app.AppID = directory.NewGUID()
	if e := checkRules(ruleInput{
		next: &app, sentPreAuthorized: true,
		tenantID: a.cfg.Directory.TenantID(), verifiedDomains: a.cfg.Directory.VerifiedDomains(),
		policy: a.cfg.Directory.AppManagementPolicy(), now: a.cfg.Now(),
	}); e != nil {
		return e
	}
	var owners []string
	if c.ObjectID != "" {
		owners = []string{c.ObjectID}
	}
	bound, gerr := a.boundOwners(body)
	if gerr != nil {
		return gerr
	}
	for _, o := range bound {
		if !directory.ContainsFold(owners, o) {
			owners = append(owners, o)
		}
	}
	rec, err := a.cfg.Directory.Create(directory.Record{Application: app, Owners: owners, ServicePrincipalPending: true})
	if err != nil {
		return a.directoryError(err, directory.Ref{ObjectID: app.ID})
	}
	out, gerr := a.entityJSON(&rec.Application, nil)
	if gerr != nil {
		return gerr
	}
	w.Header().Set("Location", a.cfg.BaseURL()+"/v1.0/directoryObjects/"+rec.Application.ID+"/Microsoft.DirectoryServices.Application")
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) delete(w http.ResponseWriter, c Caller, ref directory.Ref) *graphError {
	if !canWrite(c, false) {
		rec, err := a.cfg.Directory.Lookup(ref, directory.Primary)
		if errors.Is(err, directory.ErrNotFound) {
			return notFound(ref)
		}
		if err != nil {
			return internal(err)
		}
		if !canWrite(c, rec.IsOwner(c.ObjectID)) {
			return accessDenied()
		}
	}
	if err := a.cfg.Directory.Delete(ref, directory.Replica); err != nil {
		return a.directoryError(err, ref)
	}
	if gerr := a.loseCommittedAnswer(); gerr != nil {
		return gerr
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) directoryError(err error, ref directory.Ref) *graphError {
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return notFound(ref)
	case errors.Is(err, directory.ErrIdentifierURIConflict):
		return newError(http.StatusBadRequest, CodeRequestBadRequest, MsgIdentifierURIExists)
	case errors.Is(err, directory.ErrConflict):
		return newError(http.StatusConflict, CodeRequestBadRequest, "Another object with the same value for property appId already exists.")
	}
	return internal(err)
}

func internal(err error) *graphError {
	return newError(http.StatusInternalServerError, "InternalServerError", "The emulator failed to process the request: "+err.Error())
}

func patchError(err error) *graphError {
	var pe *directory.PatchError
	switch {
	case errors.Is(err, directory.ErrMalformedBody):
		return newError(http.StatusBadRequest, CodeBadRequest, "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	case errors.As(err, &pe):
		code := CodeRequestBadRequest
		if strings.HasPrefix(pe.Message, "Invalid value") || strings.HasPrefix(pe.Message, "Invalid request body") {
			code = CodeBadRequest
		}
		return newError(http.StatusBadRequest, code, pe.Message)
	}
	return newError(http.StatusBadRequest, CodeBadRequest, err.Error())
}

// bodyIf reads the request body of a caller allowed to send it, and refuses others with 403 before
// reading it (Graph authorizes a request before it validates its body).
func bodyIf(allowed bool, r *http.Request) ([]byte, *graphError) {
	if !allowed {
		return nil, accessDenied()
	}
	return readBody(r)
}

// parsedBody reads the request body and parses it: the body, what parse made of it, or the first error.
func parsedBody[T any](r *http.Request, parse func([]byte) (T, *graphError)) ([]byte, T, *graphError) {
	body, gerr := readBody(r)
	if gerr != nil {
		var zero T
		return nil, zero, gerr
	}
	v, gerr := parse(body)
	return body, v, gerr
}

// writeEntity answers 200 with an entity's JSON object (raw) preceded by its @odata.context.
func writeEntity(w http.ResponseWriter, context string, raw []byte) {
	ctx, _ := json.Marshal(context)
	writeJSON(w, http.StatusOK, append(append([]byte(`{"@odata.context":`), ctx...), append([]byte(","), raw[1:]...)...))
}

// readBody reads the request body, decompressing gzip and deflate-free bodies.
func readBody(r *http.Request) ([]byte, *graphError) {
	var src io.Reader = r.Body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, newError(http.StatusBadRequest, CodeBadRequest, "The request body is not valid gzip: "+err.Error())
		}
		defer zr.Close()
		src = zr
	default:
		return nil, newError(http.StatusUnsupportedMediaType, CodeBadRequest, fmt.Sprintf("Content-Encoding '%s' is not supported.", enc))
	}
	body, err := io.ReadAll(io.LimitReader(src, maxBodyBytes+1))
	if err != nil {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "Reading the request body failed: "+err.Error())
	}
	if len(body) > maxBodyBytes {
		return nil, newError(http.StatusRequestEntityTooLarge, CodeRequestEntityTooLarge, "The request body is too large.")
	}
	return body, nil
}

// sentPreAuthorized reports whether a PATCH body contains api.preAuthorizedApplications.
func sentPreAuthorized(body []byte) (bool, *graphError) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return false, patchError(fmt.Errorf("%w: %w", directory.ErrMalformedBody, err))
	}
	rawAPI, ok := top["api"]
	if !ok {
		return false, nil
	}
	var api map[string]json.RawMessage
	// A non-object api is not an error here: Merge reports it with a precise message.
	if json.Unmarshal(rawAPI, &api) == nil {
		_, ok = api["preAuthorizedApplications"]
		return ok, nil
	}
	return false, nil
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// loseCommittedAnswer is the ambiguous-write fault, called after a write was committed: the answer
// may still be lost on the way (a gateway error, or a dropped connection by panicking with
// http.ErrAbortHandler), so the client cannot tell whether the write took effect. nil means answer
// normally.
func (a *API) loseCommittedAnswer() *graphError {
	if a.cfg.Faults == nil {
		return nil
	}
	switch a.cfg.Faults.DecideAmbiguous() {
	case faults.AmbiguousUnavailable:
		return newError(http.StatusServiceUnavailable, CodeServiceNotAvailable, MsgServiceNotAvailable)
	case faults.AmbiguousTimeout:
		return newError(http.StatusGatewayTimeout, CodeGatewayTimeout, MsgGatewayTimeout)
	case faults.AmbiguousDrop:
		panic(http.ErrAbortHandler) // closes the connection (HTTP/1.1) or resets the stream (HTTP/2)
	}
	return nil
}
