package model

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

// Object is an application or a service principal as Graph's JSON carries it (the properties read).
type Object struct {
	ID             string   `json:"id"`
	AppID          string   `json:"appId"`
	DisplayName    string   `json:"displayName"`
	IdentifierURIs []string `json:"identifierUris"`
	API            struct {
		Scopes  []readEntry[PermissionScope]          `json:"oauth2PermissionScopes"`
		PreAuth []readEntry[PreAuthorizedApplication] `json:"preAuthorizedApplications"`
	} `json:"api"`
}

// readEntry is a list entry as read: its JSON and the properties this package knows, decoded.
type readEntry[T any] struct {
	json  json.RawMessage
	known T
}

// UnmarshalJSON keeps the entry's JSON and decodes what it knows; a null entry keeps none (FromObject
// leaves it out, as Graph holds no such entry).
func (e *readEntry[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	e.json = bytes.Clone(b)
	return json.Unmarshal(b, &e.known)
}

// FromObject converts a GET answer into a State; each list entry keeps its JSON as read (entryJSON).
func FromObject(o *Object) *State {
	st := &State{ObjectID: o.ID, AppID: o.AppID, displayName: o.DisplayName,
		uris: append([]string{}, o.IdentifierURIs...), scopes: []scopeEntry{}, preAuth: []preAuthEntry{}}
	for _, e := range o.API.Scopes {
		if e.json != nil {
			st.scopes = append(st.scopes, scopeEntry{PermissionScope: e.known, raw: e})
		}
	}
	for _, e := range o.API.PreAuth {
		if e.json != nil {
			e.known.DelegatedPermissionIDs = append([]string{}, e.known.DelegatedPermissionIDs...)
			st.preAuth = append(st.preAuth, preAuthEntry{PreAuthorizedApplication: e.known, raw: e})
		}
	}
	return st
}

// PatchBody builds the PATCH body carrying only the collections in cols, in full, as after holds
// them. Graph merges a PATCH at property level (also inside "api"), so collections left out stay as
// they are.
func PatchBody(after *State, cols Collection) ([]byte, error) {
	body := map[string]any{}
	if cols&ColURIs != 0 {
		body["identifierUris"] = append([]string{}, after.uris...)
	}
	api := map[string]any{}
	if cols&ColScopes != 0 {
		scopes := make([]json.RawMessage, 0, len(after.scopes))
		for _, e := range after.scopes {
			s := e.PermissionScope
			if e.raw.json == nil || e.raw.known.ID != s.ID { // a new or changed ID must be a GUID
				id, err := uuid.Parse(s.ID)
				if err != nil {
					return nil, fmt.Errorf("permission scope id %q is not a GUID: %w", s.ID, err)
				}
				s.ID = id.String()
			}
			m, err := entryJSON(e.raw, s)
			if err != nil {
				return nil, err
			}
			scopes = append(scopes, m)
		}
		api["oauth2PermissionScopes"] = scopes
	}
	if cols&ColPreAuth != 0 {
		entries := make([]json.RawMessage, 0, len(after.preAuth))
		for _, p := range after.preAuth {
			p.DelegatedPermissionIDs = append([]string{}, p.DelegatedPermissionIDs...)
			m, err := entryJSON(p.raw, p.PreAuthorizedApplication)
			if err != nil {
				return nil, err
			}
			entries = append(entries, m)
		}
		api["preAuthorizedApplications"] = entries
	}
	if len(api) > 0 {
		body["api"] = api
	}
	// Entries as read go out as read, only compacted (not HTML-escaped).
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(body)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// entryJSON is the JSON to send for a list entry read as read (zero for a new entry) whose
// properties this package knows are now known: the JSON as read when they are unchanged, else that
// JSON with the known properties that changed replaced; only the known properties for a new entry.
func entryJSON[T any](read readEntry[T], known T) (json.RawMessage, error) {
	raw := read.json
	nowJSON, err := json.Marshal(known)
	if err != nil || raw == nil {
		return nowJSON, err
	}
	wasJSON, err := json.Marshal(read.known)
	if err != nil || bytes.Equal(wasJSON, nowJSON) {
		return raw, err
	}
	var props, before, after map[string]json.RawMessage
	err = errors.Join(json.Unmarshal(raw, &props), json.Unmarshal(wasJSON, &before), json.Unmarshal(nowJSON, &after))
	if err != nil {
		return nil, err
	}
	for k, v := range after {
		if !bytes.Equal(before[k], v) {
			props[k] = v
		}
	}
	return json.Marshal(props)
}

// maxErrorText bounds the text of a non-JSON error answer kept as the message.
const maxErrorText = 512

// ErrorFromResponse turns Graph's error answer (status, header lookup, body), received at now, into
// the typed errors of this package (APIError, NotFoundError, ...). A body that is not Graph's error
// JSON becomes the message, bounded.
func ErrorFromResponse(status int, header func(string) string, body []byte, now time.Time) error {
	var doc struct {
		Error struct {
			Code, Message string
			InnerError    struct {
				RequestID       string `json:"request-id"`
				ClientRequestID string `json:"client-request-id"`
			}
		}
	}
	e := APIError{StatusCode: status}
	if json.Unmarshal(body, &doc) == nil && doc.Error.Code+doc.Error.Message != "" {
		e.Code, e.Message = doc.Error.Code, doc.Error.Message
		e.RequestID, e.ClientRequestID = doc.Error.InnerError.RequestID, doc.Error.InnerError.ClientRequestID
	} else {
		text := strings.ToValidUTF8(string(body[:min(len(body), maxErrorText)]), "")
		e.Message = strings.Join(strings.Fields(text), " ")
	}
	e.RequestID = cmp.Or(e.RequestID, header("request-id"))
	e.ClientRequestID = cmp.Or(e.ClientRequestID, header("client-request-id"))
	e.RetryAfter = retryafter.Parse(header("retry-after"), now)
	switch status {
	case 404:
		return &NotFoundError{e}
	case 403:
		return &ForbiddenError{e}
	case 409:
		return &ConflictError{e}
	case 400:
		return &ValidationError{e}
	}
	return &e
}
