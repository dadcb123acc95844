package model

import (
	"encoding/json"
	"reflect"
	"testing"

	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// graphApplicationJSON is a GET answer with properties the SDK does not model (futureProperty,
// origin on the scope is modelled but not by this package) and nulls, to check that they round-trip.
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

func parseApplication(t *testing.T) models.Applicationable {
	t.Helper()
	node, err := jsonserialization.NewJsonParseNode([]byte(graphApplicationJSON))
	if err != nil {
		t.Fatal(err)
	}
	v, err := node.GetObjectValue(models.CreateApplicationFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	app, ok := v.(models.Applicationable)
	if !ok {
		t.Fatalf("parsed %T, want an application", v)
	}
	return app
}

func serialize(t *testing.T, body models.Applicationable) map[string]any {
	t.Helper()
	w := jsonserialization.NewJsonSerializationWriter()
	if err := w.WriteObjectValue("", body); err != nil {
		t.Fatal(err)
	}
	raw, err := w.GetSerializedContent()
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v in %s", err, raw)
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

func TestStateFromModel(t *testing.T) {
	st := FromModel(parseApplication(t))
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
	before := FromModel(parseApplication(t))
	after := before.Clone()
	if _, err := AddPreAuthorization(after, "C1C1C1C1-0000-4000-8000-000000000002", "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := AddPreAuthorization(after, "c1c1c1c1-0000-4000-8000-000000000003", "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"); err != nil {
		t.Fatal(err)
	}
	requireChangedBody(t, before, after, ColPreAuth, `{
	  "@odata.type": "#microsoft.graph.application",
	  "api": {"preAuthorizedApplications": [
	    {"appId": "c1c1c1c1-0000-4000-8000-000000000001", "delegatedPermissionIds": ["B2B2B2B2-2222-4222-8222-B2B2B2B2B2B2"], "futureNote": "keep me"},
	    {"appId": "c1c1c1c1-0000-4000-8000-000000000002", "delegatedPermissionIds": ["b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2", "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"], "futureNote": "and me"},
	    {"appId": "c1c1c1c1-0000-4000-8000-000000000003", "delegatedPermissionIds": ["a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"]}
	  ]}
	}`)
}

func TestPatchBody_ScopesKeepWhatThePackageDoesNotModel(t *testing.T) {
	before := FromModel(parseApplication(t))
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
	  "@odata.type": "#microsoft.graph.application",
	  "api": {"oauth2PermissionScopes": [
	    {"id": "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1", "value": "access_as_client", "type": "User",
	     "adminConsentDisplayName": "Access", "adminConsentDescription": "changed", "isEnabled": true,
	     "origin": "Application", "futureProperty": {"nested": [1, "x", true, null]}},
	    {"id": "b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2", "value": "other", "type": "Admin",
	     "adminConsentDisplayName": "Other", "adminConsentDescription": "Other scope", "isEnabled": true,
	     "origin": "Application", "futureFlag": false},
	    {"id": "d4d4d4d4-4444-4444-8444-d4d4d4d4d4d4", "value": "third", "type": "Admin",
	     "adminConsentDisplayName": "T", "adminConsentDescription": "D",
	     "userConsentDisplayName": "", "userConsentDescription": "", "isEnabled": false}
	  ]}
	}`)
}

func TestPatchBody_URIs(t *testing.T) {
	before := FromModel(parseApplication(t))
	after := before.Clone()
	EnsureIdentifierURI(after, "api://extra")
	body, err := PatchBody(after, ChangedCollections(before, after))
	if err != nil {
		t.Fatal(err)
	}
	want := decode(t, `{"@odata.type": "#microsoft.graph.application",
	  "identifierUris": ["api://a9a9a9a9-0000-4000-8000-000000000001", "api://extra"]}`)
	if got := serialize(t, body); !reflect.DeepEqual(got, want) {
		t.Fatalf("body = %v", got)
	}
	after.uris = nil
	body, _ = PatchBody(after, ColURIs)
	if got := serialize(t, body); !reflect.DeepEqual(got["identifierUris"], []any{}) {
		t.Fatalf("an empty list must be sent as [] to clear it: %v", got)
	}
}
