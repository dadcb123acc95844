package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// graphApplicationJSON is a GET answer with properties this package does not model (futureProperty,
// origin) and nulls, to check that they round-trip.
const graphApplicationJSON = `{
  "id": "0b0b0b0b-0000-4000-8000-000000000001",
  "appId": "a9a9a9a9-0000-4000-8000-000000000001",
  "displayName": "agent",
  "identifierUris": ["api://a9a9a9a9-0000-4000-8000-000000000001"],
  "api": {
    "requestedAccessTokenVersion": 2,
    "oauth2PermissionScopes": [
      {"id": "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1", "value": "access_as_client", "type": "User",
       "adminConsentDisplayName": "Access", "adminConsentDescription": "Lets the client in",
       "userConsentDisplayName": null, "userConsentDescription": null, "isEnabled": true,
       "origin": "Application", "futureProperty": {"nested": [1, "x", true, null]}},
      {"id": "b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2", "value": "other", "type": "Admin",
       "adminConsentDisplayName": "Other", "adminConsentDescription": "Other scope",
       "userConsentDisplayName": null, "userConsentDescription": null, "isEnabled": true,
       "origin": "Application", "futureFlag": false}
    ],
    "preAuthorizedApplications": [
      {"appId": "c1c1c1c1-0000-4000-8000-000000000001", "delegatedPermissionIds": ["B2B2B2B2-2222-4222-8222-B2B2B2B2B2B2"], "futureNote": "keep me"},
      {"appId": "c1c1c1c1-0000-4000-8000-000000000002", "delegatedPermissionIds": ["b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2"], "futureNote": "and me"}
    ]
  }
}`

func parseApplication(t *testing.T) *State {
	t.Helper()
	var o Object
	if err := json.Unmarshal([]byte(graphApplicationJSON), &o); err != nil {
		t.Fatal(err)
	}
	return FromObject(&o)
}

func serialize(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	return out
}

// requireChangedBody checks that after differs from before in the collections want, and only those,
// and that the PATCH body for them is wantBody (JSON).
func requireChangedBody(t *testing.T, before, after *State, want Collection, wantBody string) {
	t.Helper()
	if cols := ChangedCollections(before, after); cols != want {
		t.Fatalf("changed = %v", cols)
	}
	body, err := PatchBody(after, want)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := serialize(t, body), decode(t, wantBody); !reflect.DeepEqual(got, want) {
		t.Fatalf("body =\n%v\nwant\n%v", got, want)
	}
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStateFromObject(t *testing.T) {
	st := parseApplication(t)
	app := st.Application()
	if app.ObjectID != "0b0b0b0b-0000-4000-8000-000000000001" || app.AppID != "a9a9a9a9-0000-4000-8000-000000000001" || app.DisplayName != "agent" {
		t.Fatalf("ids = %+v", app)
	}
	want := PermissionScope{ID: "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1", Value: "access_as_client", Type: "User",
		AdminConsentDisplayName: "Access", AdminConsentDescription: "Lets the client in", Enabled: true}
	if app.Scopes[0] != want {
		t.Fatalf("scope = %+v", app.Scopes[0])
	}
	if got := app.PreAuthorized[0]; got.AppID != "c1c1c1c1-0000-4000-8000-000000000001" || !reflect.DeepEqual(got.DelegatedPermissionIDs, []string{"B2B2B2B2-2222-4222-8222-B2B2B2B2B2B2"}) {
		t.Fatalf("entry = %+v", got)
	}
}

func TestPatchBody_OnlyChangedCollectionAndUnknownPropertiesRoundTrip(t *testing.T) {
	before := parseApplication(t)
	after := before.Clone()
	if err := AddPreAuthorization(after, "C1C1C1C1-0000-4000-8000-000000000002", "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"); err != nil {
		t.Fatal(err)
	}
	if err := AddPreAuthorization(after, "c1c1c1c1-0000-4000-8000-000000000003", "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"); err != nil {
		t.Fatal(err)
	}
	requireChangedBody(t, before, after, ColPreAuth, `{
	  "api": {"preAuthorizedApplications": [
	    {"appId": "c1c1c1c1-0000-4000-8000-000000000001", "delegatedPermissionIds": ["B2B2B2B2-2222-4222-8222-B2B2B2B2B2B2"], "futureNote": "keep me"},
	    {"appId": "c1c1c1c1-0000-4000-8000-000000000002", "delegatedPermissionIds": ["b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2", "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"], "futureNote": "and me"},
	    {"appId": "c1c1c1c1-0000-4000-8000-000000000003", "delegatedPermissionIds": ["a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"]}
	  ]}
	}`)
}

func TestPatchBody_ScopesKeepWhatThePackageDoesNotModel(t *testing.T) {
	before := parseApplication(t)
	after := before.Clone()
	want := after.scopes[0].PermissionScope
	want.AdminConsentDescription = "changed"
	if done, err := UpdateScopeStep(after, want); err != nil || !done {
		t.Fatalf("done=%v err=%v", done, err)
	}
	if err := CreateScope(after, PermissionScope{ID: "d4d4d4d4-4444-4444-8444-d4d4d4d4d4d4", Value: "third", Type: "Admin", AdminConsentDisplayName: "T", AdminConsentDescription: "D"}); err != nil {
		t.Fatal(err)
	}
	requireChangedBody(t, before, after, ColScopes, `{
	  "api": {"oauth2PermissionScopes": [
	    {"id": "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1", "value": "access_as_client", "type": "User",
	     "adminConsentDisplayName": "Access", "adminConsentDescription": "changed",
	     "userConsentDisplayName": null, "userConsentDescription": null, "isEnabled": true,
	     "origin": "Application", "futureProperty": {"nested": [1, "x", true, null]}},
	    {"id": "b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2", "value": "other", "type": "Admin",
	     "adminConsentDisplayName": "Other", "adminConsentDescription": "Other scope",
	     "userConsentDisplayName": null, "userConsentDescription": null, "isEnabled": true,
	     "origin": "Application", "futureFlag": false},
	    {"id": "d4d4d4d4-4444-4444-8444-d4d4d4d4d4d4", "value": "third", "type": "Admin",
	     "adminConsentDisplayName": "T", "adminConsentDescription": "D",
	     "userConsentDisplayName": "", "userConsentDescription": "", "isEnabled": false}
	  ]}
	}`)
}

func TestPatchBody_URIs(t *testing.T) {
	before := parseApplication(t)
	after := before.Clone()
	EnsureIdentifierURI(after, "api://extra")
	body, err := PatchBody(after, ChangedCollections(before, after))
	if err != nil {
		t.Fatal(err)
	}
	want := decode(t, `{"identifierUris": ["api://a9a9a9a9-0000-4000-8000-000000000001", "api://extra"]}`)
	if got := serialize(t, body); !reflect.DeepEqual(got, want) {
		t.Fatalf("body = %v", got)
	}
	after.uris = nil
	body, _ = PatchBody(after, ColURIs)
	if got := serialize(t, body); !reflect.DeepEqual(got["identifierUris"], []any{}) {
		t.Fatalf("an empty list must be sent as [] to clear it: %v", got)
	}
}

// An entry nobody changed goes back as read (compacted, as Graph sends it); a new or changed scope ID
// must be a GUID.
func TestPatchBody_UnchangedEntriesAsReadAndScopeIDsAreGUIDs(t *testing.T) {
	before := parseApplication(t)
	body, err := PatchBody(before, ColScopes|ColPreAuth)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range []string{
		`{"appId": "c1c1c1c1-0000-4000-8000-000000000001", "delegatedPermissionIds": ["B2B2B2B2-2222-4222-8222-B2B2B2B2B2B2"], "futureNote": "keep me"}`,
		`{"id": "b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2", "value": "other", "type": "Admin",
		  "adminConsentDisplayName": "Other", "adminConsentDescription": "Other scope",
		  "userConsentDisplayName": null, "userConsentDescription": null, "isEnabled": true,
		  "origin": "Application", "futureFlag": false}`,
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(entry)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), want.String()) {
			t.Errorf("body %s lacks the entry as read: %s", body, entry)
		}
	}
	after := before.Clone()
	if err := CreateScope(after, PermissionScope{ID: "not-a-guid", Value: "x", Type: ScopeTypeAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := PatchBody(after, ColScopes); err == nil || !strings.Contains(err.Error(), "not a GUID") {
		t.Fatalf("a scope ID that is no GUID: err = %v", err)
	}
	after = before.Clone()
	after.scopes[0].ID = "not-a-guid"
	if _, err := PatchBody(after, ColScopes); err == nil {
		t.Fatal("a changed scope ID that is no GUID was sent")
	}
}

// Graph's error answers become the typed errors, with the request IDs from the body or the headers
// and the Retry-After delay; any other body becomes the message, bounded.
func TestErrorFromResponse(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	graphError := func(code, msg, requestID string) string {
		return `{"error":{"code":"` + code + `","message":"` + msg + `","innerError":{"date":"2026-12-07T12:00:00","request-id":"` +
			requestID + `","client-request-id":"c-1"}}}`
	}
	cases := []struct {
		name    string
		status  int
		headers map[string]string
		body    string
		check   func(error) bool
		want    APIError
	}{
		{"404", 404, nil, graphError("Request_ResourceNotFound", "Resource 'x' does not exist", "req-1"),
			func(err error) bool { var e *NotFoundError; return errors.As(err, &e) && errors.Is(err, ErrNotFound) },
			APIError{StatusCode: 404, Code: "Request_ResourceNotFound", Message: "Resource 'x' does not exist", RequestID: "req-1", ClientRequestID: "c-1"}},
		{"403", 403, nil, graphError("Authorization_RequestDenied", "Insufficient privileges", "req-2"),
			func(err error) bool { var e *ForbiddenError; return errors.As(err, &e) },
			APIError{StatusCode: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges", RequestID: "req-2", ClientRequestID: "c-1"}},
		{"400", 400, nil, graphError("Request_BadRequest", "bad", "req-3"),
			func(err error) bool { var e *ValidationError; return errors.As(err, &e) },
			APIError{StatusCode: 400, Code: "Request_BadRequest", Message: "bad", RequestID: "req-3", ClientRequestID: "c-1"}},
		{"409 request-id from the header", 409, map[string]string{"request-id": "from-header", "client-request-id": "c-h"}, `{"error":{"code":"x","message":"busy"}}`,
			func(err error) bool { var e *ConflictError; return errors.As(err, &e) },
			APIError{StatusCode: 409, Code: "x", Message: "busy", RequestID: "from-header", ClientRequestID: "c-h"}},
		{"429 seconds", 429, map[string]string{"Retry-After": "4"}, graphError("TooManyRequests", "slow down", ""), nil,
			APIError{StatusCode: 429, Code: "TooManyRequests", Message: "slow down", ClientRequestID: "c-1", RetryAfter: 4 * time.Second}},
		{"503 date", 503, map[string]string{"Retry-After": now.Add(3 * time.Second).Format(http.TimeFormat)}, "", nil,
			APIError{StatusCode: 503, RetryAfter: 3 * time.Second}},
		{"502 text", 502, nil, "<html>\n  Bad   gateway " + strings.Repeat("x", 1000), nil,
			APIError{StatusCode: 502, Message: "<html> Bad gateway " + strings.Repeat("x", maxErrorText-len("<html>\n  Bad   gateway "))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			err := ErrorFromResponse(tc.status, h.Get, []byte(tc.body), now)
			got, ok := AsAPIError(err)
			if !ok || *got != tc.want || (tc.check != nil && !tc.check(err)) {
				t.Fatalf("got %T %+v, want %+v", err, got, tc.want)
			}
		})
	}
}

// An application without "api" (null or absent) has no scopes and no pre-authorized clients.
func TestFromObject_NoAPI(t *testing.T) {
	for _, doc := range []string{`{"id":"o","appId":"a","api":null}`, `{"id":"o","appId":"a"}`} {
		var o Object
		if err := json.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		if app := FromObject(&o).Application(); app.ObjectID != "o" || len(app.Scopes)+len(app.PreAuthorized) != 0 {
			t.Fatalf("%s: %+v", doc, app)
		}
	}
}

// A null list entry (the SDK skipped nil models too) is left out, and the lists written back hold the
// other entries as read.
func TestFromObject_NullEntriesAreLeftOut(t *testing.T) {
	doc := `{"id":"o","appId":"a","api":{"oauth2PermissionScopes":[null,{"id":"b1b1b1b1-1111-4111-8111-b1b1b1b1b1b1","value":"s","type":"User","isEnabled":true,"origin":"x"}],` +
		`"preAuthorizedApplications":[null,{"appId":"c","delegatedPermissionIds":["b1b1b1b1-1111-4111-8111-b1b1b1b1b1b1"]}]}}`
	var o Object
	if err := json.Unmarshal([]byte(doc), &o); err != nil {
		t.Fatal(err)
	}
	st := FromObject(&o)
	if app := st.Application(); len(app.Scopes) != 1 || len(app.PreAuthorized) != 1 {
		t.Fatalf("%+v", app)
	}
	st.scopes[0].Enabled = false
	body, err := PatchBody(st, ColScopes|ColPreAuth)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(body); strings.Contains(s, "null") || !strings.Contains(s, `"origin":"x"`) || !strings.Contains(s, `"isEnabled":false`) {
		t.Fatalf("body %s", s)
	}
}

// A changed entry whose JSON as read is not an object cannot be merged: PatchBody fails instead of
// sending a body that loses it.
func TestPatchBody_ChangedEntryReadAsNoObject(t *testing.T) {
	st := fixture() // its entries' JSON as read are strings
	st.scopes[0].Enabled = false
	if body, err := PatchBody(st, ColScopes); err == nil {
		t.Fatalf("body %s, want an error", body)
	}
}
