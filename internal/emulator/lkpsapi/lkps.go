package lkpsapi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/jsonhttp"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// maxBodyBytes bounds LKPS request bodies; real ones are a few dozen bytes.
const maxBodyBytes = 64 << 10

// Failed checks of the session-start authorization decision, reported in "failed_check".
const (
	checkScopeMissing          = "scope_missing"
	checkClientNotPreauthorize = "client_not_preauthorized"
	checkScopeNotGranted       = "scope_not_granted"
)

// lkpsError is LKPS's FastAPI-style error body.
type lkpsError struct {
	Detail      string `json:"detail"`
	FailedCheck string `json:"failed_check,omitempty"`
}

type registerRequest struct {
	ServiceConfig *struct {
		EnforceClientAuthz *bool `json:"enforce_client_authz"`
	} `json:"service_config"`
}

// registerResponse holds the values of the register answer; shapeRegisterAnswer renders it, with the
// timestamps, as RegisterAnswer says.
type registerResponse struct {
	AgentEntraAppID    string
	EnforceClientAuthz bool
	LiveKitURL         string
	Token              string
}

type sessionStartRequest struct {
	AgentEntraAppID *string `json:"agent_entra_app_id"`
}

type sessionStartResponse struct {
	LiveKitURL string `json:"livekit_url"`
	RoomName   string `json:"room_name"`
	Token      string `json:"token"`
	ExpiresAt  string `json:"expires_at"`
}

// serveLKPS is LKPS behind one route. It trusts the identity headers the gateway injected and never
// looks at the token.
func (s *Service) serveLKPS(w http.ResponseWriter, r *http.Request, route environments.Entry) {
	var (
		method string
		handle func(http.ResponseWriter, *http.Request, environments.Entry)
	)
	switch r.URL.Path {
	case "/api/health":
		method, handle = http.MethodGet, s.serveHealth
	case "/api/agent/register":
		method, handle = http.MethodPost, s.serveRegister
	case "/api/session/start":
		method, handle = http.MethodPost, s.serveSessionStart
	default:
		writeJSON(w, http.StatusNotFound, lkpsError{Detail: "Not Found"})
		return
	}
	if r.Method != method && (method != http.MethodGet || r.Method != http.MethodHead) {
		w.Header().Set("Allow", method)
		writeJSON(w, http.StatusMethodNotAllowed, lkpsError{Detail: "Method Not Allowed"})
		return
	}
	handle(w, r, route)
}

func (s *Service) serveHealth(w http.ResponseWriter, _ *http.Request, _ environments.Entry) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// serveRegister upserts the caller's registration: POST /api/agent/register.
func (s *Service) serveRegister(w http.ResponseWriter, r *http.Request, route environments.Entry) {
	var req registerRequest
	clientID, ok := s.decodeRequest(w, r, route, &req)
	if !ok {
		return
	}
	if !directory.IsGUID(clientID) {
		s.reject(w, r, route, clientID, "The client-id header is missing or not an application (client) ID.")
		return
	}
	enforce := true // absent = true (seed, Step 4)
	if req.ServiceConfig != nil && req.ServiceConfig.EnforceClientAuthz != nil {
		enforce = *req.ServiceConfig.EnforceClientAuthz
	}

	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	rows := s.registrations[route.Key()]
	if rows == nil {
		rows = map[string]Registration{}
		s.registrations[route.Key()] = rows
	}
	key := strings.ToLower(clientID)
	reg, existed := rows[key]
	if !existed {
		reg = Registration{AgentAppID: key, RegisteredAt: now}
	}
	reg.EnforceClientAuthz = enforce
	reg.UpdatedAt = now
	rows[key] = reg
	s.mu.Unlock()

	token, exp, err := s.liveKitToken(clientID, route, liveKitGrant{Agent: true})
	if err != nil {
		s.reply(w, r, route, clientID, http.StatusInternalServerError, lkpsError{Detail: "Issuing the agent token failed."}, err.Error())
		return
	}
	what := "registered"
	if existed {
		what = "updated"
	}
	s.reply(w, r, route, clientID, http.StatusOK, s.shapeRegisterAnswer(registerResponse{
		AgentEntraAppID:    reg.AgentAppID,
		EnforceClientAuthz: reg.EnforceClientAuthz,
		LiveKitURL:         route.LiveKitURL,
		Token:              token,
	}, reg.RegisteredAt, exp), fmt.Sprintf("agent %s (enforce_client_authz=%t)", what, reg.EnforceClientAuthz))
}

// serveSessionStart is POST /api/session/start with the decision of DESIGN.md.
func (s *Service) serveSessionStart(w http.ResponseWriter, r *http.Request, route environments.Entry) {
	var req sessionStartRequest
	clientID, ok := s.decodeRequest(w, r, route, &req)
	if !ok {
		return
	}
	if req.AgentEntraAppID == nil {
		detail := "agent_entra_app_id is required: send {\"agent_entra_app_id\": \"<agent application (client) ID>\"}."
		s.reply(w, r, route, clientID, http.StatusBadRequest, lkpsError{Detail: detail}, "rejected: missing agent_entra_app_id")
		return
	}
	agentID := *req.AgentEntraAppID
	if !directory.IsGUID(agentID) {
		detail := fmt.Sprintf("agent_entra_app_id %q is not an application (client) ID; expected a GUID such as 426758d8-100a-4420-9ae2-5f17e44f7df4.", agentID)
		s.reply(w, r, route, clientID, http.StatusBadRequest, lkpsError{Detail: detail}, "rejected: invalid agent_entra_app_id")
		return
	}
	if !directory.IsGUID(clientID) {
		s.reject(w, r, route, clientID, "The client-id header is missing or not an application (client) ID.")
		return
	}

	status, body, auditDetail := s.decideSession(route, clientID, agentID)
	if status == http.StatusOK {
		room := fmt.Sprintf("agent-%s-%s", strings.ToLower(agentID[:8]), randomHex(6))
		token, exp, err := s.liveKitToken(clientID, route, liveKitGrant{Room: room, RoomJoin: true, CanPublish: true, CanSubscribe: true})
		if err != nil {
			s.reply(w, r, route, clientID, http.StatusInternalServerError, lkpsError{Detail: "Issuing the session token failed."}, err.Error())
			return
		}
		body = sessionStartResponse{LiveKitURL: route.LiveKitURL, RoomName: room, Token: token, ExpiresAt: exp.UTC().Format(time.RFC3339)}
		auditDetail += "; room " + room
	}
	s.reply(w, r, route, clientID, status, body, auditDetail)
}

// decideSession is the session-start decision of DESIGN.md ("How Client-to-Agent Authorization
// Works"). It returns the status, the error body for refusals, and an audit detail.
func (s *Service) decideSession(route environments.Entry, clientID, agentID string) (int, any, string) {
	s.mu.Lock()
	reg, ok := s.registrations[route.Key()][strings.ToLower(agentID)]
	s.mu.Unlock()
	if !ok {
		return http.StatusNotFound, lkpsError{Detail: fmt.Sprintf(
			"Agent '%s' is not registered in the %s %s deployment. The agent must call POST /api/agent/register on %s first; "+
				"registrations are per region.", agentID, route.Environment, route.Region, route.LKPSBaseURL)}, "agent not registered"
	}
	if !reg.EnforceClientAuthz {
		return http.StatusOK, nil, "session allowed: enforce_client_authz is false"
	}

	refuse := func(check, detail string) (int, any, string) {
		return http.StatusForbidden, lkpsError{Detail: detail, FailedCheck: check}, "refused: " + check
	}
	api, exists := s.dir.AgentAPI(agentID)
	// Check 1: the agent exposes a scope whose value is exactly access_as_client. The guides say nothing
	// about isEnabled, so a disabled scope still counts as exposed.
	var scopeIDs []string
	if exists {
		for _, sc := range api.Scopes {
			if sc.Value == environments.ClientScopeValue {
				scopeIDs = append(scopeIDs, sc.ID)
			}
		}
	}
	if len(scopeIDs) == 0 {
		detail := fmt.Sprintf("Agent '%s' does not expose the '%s' scope. The agent owner must add it under 'Expose an API' "+
			"of the agent's app registration (Client-to-Agent Authorization, Step 2).", agentID, environments.ClientScopeValue)
		if !exists {
			detail = fmt.Sprintf("Agent '%s' has no app registration in Entra ID, so it exposes no '%s' scope. "+
				"Re-create the agent's app registration or register the agent again with enforce_client_authz false.", agentID, environments.ClientScopeValue)
		}
		return refuse(checkScopeMissing, detail)
	}
	// Check 2: the caller is listed in preAuthorizedApplications.
	var entries []PreAuthorized
	for _, p := range api.PreAuthorized {
		if strings.EqualFold(p.AppID, clientID) {
			entries = append(entries, p)
		}
	}
	if len(entries) == 0 {
		return refuse(checkClientNotPreauthorize, fmt.Sprintf(
			"Client '%s' is not pre-authorized by agent '%s'. The agent owner must add the client ID under 'Authorized client "+
				"applications' of the agent's app registration (Client-to-Agent Authorization, Step 3).", clientID, agentID))
	}
	// Check 3: that entry grants the access_as_client scope's ID.
	for _, p := range entries {
		for _, granted := range p.PermissionIDs {
			for _, id := range scopeIDs {
				if strings.EqualFold(granted, id) {
					return http.StatusOK, nil, "session allowed: client pre-authorized for " + environments.ClientScopeValue
				}
			}
		}
	}
	return refuse(checkScopeNotGranted, fmt.Sprintf(
		"Client '%s' is pre-authorized by agent '%s' but not for the '%s' scope (id %s). The agent owner must tick the scope "+
			"for this client under 'Authorized client applications' (Client-to-Agent Authorization, Step 3).",
		clientID, agentID, environments.ClientScopeValue, scopeIDs[0]))
}

// decodeRequest decodes the request's JSON body into dst and returns the caller's client-id (the
// gateway's header); a body LKPS cannot read is answered 400 and ok is false.
func (s *Service) decodeRequest(w http.ResponseWriter, r *http.Request, route environments.Entry, dst any) (clientID string, ok bool) {
	clientID = r.Header.Get(headerClientID)
	if detail := decodeBody(r, dst); detail != "" {
		s.reject(w, r, route, clientID, detail)
		return clientID, false
	}
	return clientID, true
}

// reject answers 400 with the detail, and audits the request as rejected.
func (s *Service) reject(w http.ResponseWriter, r *http.Request, route environments.Entry, clientID, detail string) {
	s.reply(w, r, route, clientID, http.StatusBadRequest, lkpsError{Detail: detail}, "rejected: "+detail)
}

// reply writes body with status and appends an audit record for the call.
func (s *Service) reply(w http.ResponseWriter, r *http.Request, route environments.Entry, clientID string, status int, body any, detail string) {
	s.mu.Lock()
	s.audit = append(s.audit, AuditRecord{
		Time: s.now().UTC(), Route: route.Key(), Method: r.Method, Path: r.URL.Path,
		ClientID: clientID, Status: status, Detail: detail,
	})
	if len(s.audit) > maxAuditRecords {
		// Drop the oldest tenth at once so trimming costs O(1) per call when amortized.
		s.audit = append(s.audit[:0:0], s.audit[len(s.audit)-maxAuditRecords*9/10:]...)
	}
	s.mu.Unlock()
	writeJSON(w, status, body)
}

// decodeBody decodes a JSON object strictly into dst: the content type must be JSON, unknown fields and
// wrong types are refused, and nothing may follow the object. It returns
// a user-facing sentence for LKPS's "detail", or "" when the body is acceptable.
func decodeBody(r *http.Request, dst any) string {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return fmt.Sprintf("Content-Type must be application/json, got %q.", ct)
		}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return fmt.Sprintf("The request body could not be read: %v.", err)
	}
	if len(b) > maxBodyBytes {
		return fmt.Sprintf("The request body is larger than %d bytes.", maxBodyBytes)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "The request body is empty; send a JSON object (at least {})."
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return fmt.Sprintf("Field %s has the wrong type: expected %s, got a JSON %s.", typeErr.Field, jsonKind(typeErr.Type.String()), typeErr.Value)
		case errors.As(err, &typeErr):
			return fmt.Sprintf("The request body must be a JSON object, got a JSON %s.", typeErr.Value)
		case errors.As(err, &syntaxErr):
			return fmt.Sprintf("The request body is not valid JSON: %v (at byte %d).", err, syntaxErr.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return fmt.Sprintf("Unknown field %s in the request body.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return fmt.Sprintf("The request body is not valid JSON: %v.", err)
		}
	}
	if dec.More() {
		return "The request body has data after the JSON object."
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return "The request body must be a JSON object, got null."
	}
	return ""
}

// jsonKind names the JSON type a Go field type expects, for error messages.
func jsonKind(goType string) string {
	switch strings.TrimLeft(goType, "*") {
	case "bool":
		return "boolean"
	case "string":
		return "string"
	default:
		return "object"
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	jsonhttp.Write(w, status, v, "Content-Type", "application/json")
}
