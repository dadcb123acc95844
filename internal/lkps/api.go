package lkps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// This file is the only place that spells LKPS paths, header names and JSON names. The documented facts
// come from the LKPS guides; everything marked "assumed" is recorded in DESIGN.md ("The LKPS wire
// contract") and mirrored independently by the emulator, so a correction is a small change here and there.

// Paths of the LKPS API, relative to the LKPS base URL (the Ocelot route).
const (
	// PathAgentRegister registers (upserts) the calling application as an agent. Documented.
	PathAgentRegister = "/api/agent/register"
	// PathSessionStart starts a session between the calling client application and an agent. Documented.
	PathSessionStart = "/api/session/start"
	// PathHealth reports whether LKPS is up. Documented as existing; its response is assumed.
	PathHealth = "/api/health"
)

// HTTP header names the client sends or reads.
const (
	headerAuthorization   = "Authorization"
	headerContentType     = "Content-Type"
	headerAccept          = "Accept"
	headerUserAgent       = "User-Agent"
	headerRetryAfter      = "Retry-After"
	headerWWWAuthenticate = "WWW-Authenticate"
	headerLocation        = "Location"
	contentTypeJSON       = "application/json"
)

// requestIDHeaders are the response headers that may carry a request id, in order of preference. LKPS and
// Ocelot document none; these are the common names, logged and reported only to help a support request.
var requestIDHeaders = []string{"X-Request-Id", "X-Correlation-Id", "Request-Id", "X-Ms-Request-Id"}

// ocelotSource is the value of "source" in every Ocelot error body (assumed).
const ocelotSource = "ocelot"

// Ocelot error codes (assumed, see DESIGN.md).
const (
	// OcelotErrorInvalidToken is Ocelot's code for a missing, expired or wrongly targeted token (401).
	OcelotErrorInvalidToken = "invalid_token"
	// OcelotErrorClientNotAllowed is Ocelot's code for a caller that is not on the route's Client Access List (403).
	OcelotErrorClientNotAllowed = "client_not_allowed"
)

// registerRequest is the body of POST /api/agent/register. A nil ServiceConfig is sent as "{}", which LKPS
// documents as enforce_client_authz = true.
type registerRequest struct {
	ServiceConfig *serviceConfig `json:"service_config,omitempty"`
}

// serviceConfig is the documented "service_config" object of a registration.
type serviceConfig struct {
	EnforceClientAuthz bool `json:"enforce_client_authz"`
}

// Field names of the assumed 200 body of POST /api/agent/register:
// {"agent_entra_app_id","enforce_client_authz","livekit_url","registered_at","token","expires_at"}. Only
// livekit_url is documented; the others are read leniently (response.go). The LiveKit token is never
// read: it belongs to the agent and must not reach Terraform. Mismatch.Field is one of the exported names.
const (
	FieldAgentEntraAppID    = "agent_entra_app_id"
	FieldEnforceClientAuthz = "enforce_client_authz"
	fieldRegisteredAt       = "registered_at"
	fieldRoomName           = "room_name"
	fieldExpiresAt          = "expires_at"
)

// sessionStartRequest is the documented body of POST /api/session/start.
type sessionStartRequest struct {
	AgentEntraAppID string `json:"agent_entra_app_id"`
}

// Session start answers (assumed, besides livekit_url): {"livekit_url","room_name","token","expires_at"},
// read leniently like the register answer; the participant token is never read.

// healthResponse is the assumed 200 body of GET /api/health.
type healthResponse struct {
	Status string `json:"status"`
}

// healthStatusOK is the assumed value of "status" when LKPS is healthy.
const healthStatusOK = "ok"

// lkpsErrorBody is LKPS's FastAPI-style error body: "detail" is a string, or for FastAPI's validation
// errors a list of {loc, msg, type} objects; a 403 from the authorization check adds "failed_check".
type lkpsErrorBody struct {
	Detail      json.RawMessage `json:"detail"`
	FailedCheck string          `json:"failed_check"`
}

// fastAPIValidationItem is one element of FastAPI's list-valued "detail".
type fastAPIValidationItem struct {
	Loc []any  `json:"loc"`
	Msg string `json:"msg"`
}

// ocelotErrorBody is the assumed error body Ocelot writes; it never carries "detail".
type ocelotErrorBody struct {
	Source  string `json:"source"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// errorBody is what an error response body says, whoever wrote it.
type errorBody struct {
	source      Source
	code        string
	message     string
	failedCheck string
}

// parseErrorBody tells an Ocelot body ("source") from an LKPS body ("detail"). Bodies that are neither
// (empty, HTML, another proxy's page) give SourceUnknown.
func parseErrorBody(body []byte) errorBody {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errorBody{source: SourceUnknown}
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &keys); err != nil {
		return errorBody{source: SourceUnknown}
	}
	if _, ok := keys["source"]; ok {
		var o ocelotErrorBody
		if err := json.Unmarshal(trimmed, &o); err == nil && strings.EqualFold(o.Source, ocelotSource) {
			return errorBody{source: SourceOcelot, code: o.Error, message: o.Message}
		}
	}
	if _, ok := keys["detail"]; ok {
		var l lkpsErrorBody
		if err := json.Unmarshal(trimmed, &l); err == nil {
			return errorBody{source: SourceLKPS, message: detailText(l.Detail), failedCheck: l.FailedCheck}
		}
	}
	return errorBody{source: SourceUnknown}
}

// detailText renders FastAPI's "detail", which is a string or a list of validation items.
func detailText(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var items []fastAPIValidationItem
	if err := json.Unmarshal(raw, &items); err == nil {
		parts := make([]string, 0, len(items))
		for _, it := range items {
			loc := make([]string, 0, len(it.Loc))
			for _, l := range it.Loc {
				loc = append(loc, fmt.Sprint(l))
			}
			if len(loc) > 0 {
				parts = append(parts, strings.Join(loc, ".")+": "+it.Msg)
			} else {
				parts = append(parts, it.Msg)
			}
		}
		return strings.Join(parts, "; ")
	}
	return string(raw)
}

// bearerChallenge is the parsed WWW-Authenticate: Bearer challenge of an Ocelot 401.
type bearerChallenge struct {
	errorCode   string
	description string
}

// parseBearerChallenge reads error and error_description from a header such as
// `Bearer error="invalid_token", error_description="The token expired"`.
func parseBearerChallenge(header string) bearerChallenge {
	var c bearerChallenge
	h := strings.TrimSpace(header)
	if len(h) < len("Bearer") || !strings.EqualFold(h[:len("Bearer")], "Bearer") {
		return c
	}
	rest := h[len("Bearer"):]
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t,")
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			break
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var value string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
					b.WriteByte(rest[i])
					continue
				}
				if rest[i] == '"' {
					break
				}
				b.WriteByte(rest[i])
			}
			value = b.String()
			if i < len(rest) {
				i++
			}
			rest = rest[i:]
		} else {
			end := strings.IndexAny(rest, ", \t")
			if end < 0 {
				end = len(rest)
			}
			value = rest[:end]
			rest = rest[end:]
		}
		switch name {
		case "error":
			c.errorCode = value
		case "error_description":
			c.description = value
		}
	}
	return c
}
