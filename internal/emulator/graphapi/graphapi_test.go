package graphapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/counters"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

const (
	tenantID   = "fcb2b37b-5da0-466b-9b83-0014b67a7c78"
	scopeID    = "6d3c4f1e-8a43-4b8e-9c1a-5c0f7a1d2e01"
	scopeID2   = "6d3c4f1e-8a43-4b8e-9c1a-5c0f7a1d2e02"
	clientApp  = "0c8e8d1a-1111-4a2b-8c3d-4e5f6a7b8c9d"
	ownerOID   = "aaaaaaaa-0000-4000-8000-000000000001"
	strangerID = "aaaaaaaa-0000-4000-8000-000000000002"
	// ownedByOwnerOID holds Application.ReadWrite.OwnedBy and owns the agent; userOwnerOID is a user who
	// owns the agent.
	ownedByOwnerOID = "aaaaaaaa-0000-4000-8000-000000000003"
	userOwnerOID    = "aaaaaaaa-0000-4000-8000-000000000004"
)

// fixture is a Graph API over httptest with tokens that name their caller. App-only: "admin" holds
// Application.ReadWrite.All, "reader" Application.Read.All, "owner" owns the agent but holds no Graph
// role, "ownedby" holds Application.ReadWrite.OwnedBy and owns nothing, "ownedby-owner" holds it and owns
// the agent, "stranger" nothing. Delegated (users): "user-owner" owns the agent, "user" does not,
// "user-appadmin" is an Application Administrator.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	dir    *directory.Directory
	faults *faults.Injector
	clock  *emutest.Clock
	agent  *directory.Record
	// counts is the request counter, as the emulator's router counts (counters.Set.Wrap).
	counts counters.Set
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: emutest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))}
	f.dir = directory.New(directory.Config{TenantID: tenantID, VerifiedDomains: []string{"bayer.com"}, Now: f.clock.Now, RandSeed: 1})
	agent, err := f.dir.Create(directory.Record{
		Application: directory.Application{DisplayName: ptr("agent")},
		Owners:      []string{ownerOID, ownedByOwnerOID, userOwnerOID},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.agent = agent
	inj, err := faults.New(faults.Config{})
	if err != nil {
		t.Fatal(err)
	}
	inj.OnSet(func(c faults.Config) { f.dir.SetReplication(c.ReplicaLag, c.EffectiveStaleReadProbability()) })
	f.faults = inj
	callers := map[string]graphapi.Caller{
		"admin":           {AppID: directory.NewGUID(), ObjectID: directory.NewGUID(), Roles: []string{"Application.ReadWrite.All"}},
		"admin-directory": {AppID: directory.NewGUID(), ObjectID: directory.NewGUID(), Roles: []string{"Application.ReadWrite.All", "Directory.Read.All"}},
		"reader":          {AppID: directory.NewGUID(), ObjectID: directory.NewGUID(), Roles: []string{"Application.Read.All"}},
		"owner":           {AppID: directory.NewGUID(), ObjectID: ownerOID},
		"ownedby":         {AppID: directory.NewGUID(), ObjectID: directory.NewGUID(), Roles: []string{"Application.ReadWrite.OwnedBy"}},
		"stranger":        {AppID: directory.NewGUID(), ObjectID: strangerID},
		"ownedby-owner":   {AppID: directory.NewGUID(), ObjectID: ownedByOwnerOID, Roles: []string{"Application.ReadWrite.OwnedBy"}},
		"user-owner":      {AppID: cliAppID, ObjectID: userOwnerOID, Scopes: cliScopes},
		"user":            {AppID: cliAppID, ObjectID: directory.NewGUID(), Scopes: cliScopes},
		"user-appadmin":   {AppID: cliAppID, ObjectID: directory.NewGUID(), Scopes: cliScopes, DirectoryRoles: []string{graphapi.RoleTemplateApplicationAdministrator}},
		"policy-admin":    {AppID: directory.NewGUID(), ObjectID: directory.NewGUID(), Roles: []string{graphapi.RolePolicyReadWriteApplicationConfig}},
		"policy-reader":   {AppID: directory.NewGUID(), ObjectID: directory.NewGUID(), Roles: []string{graphapi.RolePolicyReadAll}},
	}
	auth := graphapi.AuthenticatorFunc(func(raw string) (graphapi.Caller, error) {
		switch raw {
		case "expired":
			return graphapi.Caller{}, fmt.Errorf("verify: %w", graphapi.ErrTokenExpired)
		case "lkps-audience":
			return graphapi.Caller{}, fmt.Errorf("verify: %w", graphapi.ErrTokenAudience)
		}
		c, ok := callers[raw]
		if !ok {
			return graphapi.Caller{}, fmt.Errorf("verify: %w", graphapi.ErrTokenInvalid)
		}
		return c, nil
	})
	var srv *httptest.Server
	api, err := graphapi.New(graphapi.Config{
		Directory: f.dir, Auth: auth, Faults: inj, Now: f.clock.Now,
		BaseURL: func() string { return srv.URL + "/graph" },
	})
	if err != nil {
		t.Fatal(err)
	}
	// The emulator's router counts each request under api.RouteName (and adds latency: router_test.go).
	counted := f.counts.Wrap(api.RouteName, api.Handler())
	mux := http.NewServeMux()
	mux.Handle("/graph/", http.StripPrefix("/graph", counted))
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.srv = srv
	return f
}

// response is an answer of the Graph API read whole.
type response = emutest.Response

func (f *fixture) do(method, path, token string, body any, hdr ...string) response {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	return emutest.Send(f.t, f.srv.Client(), method, f.srv.URL+"/graph"+path, rd, emutest.Bearer(token, "", hdr...))
}

func (f *fixture) agentPath() string { return "/v1.0/applications/" + f.agent.Application.ID }

// expectError asserts status, code and (if not empty) the exact message, and the error body shape.
func expectError(t *testing.T, r response, status int, code, message string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	var body struct {
		Error struct {
			Code       string            `json:"code"`
			Message    string            `json:"message"`
			InnerError map[string]string `json:"innerError"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body not in Graph's shape: %v: %s", err, r.Body)
	}
	if body.Error.Code != code {
		t.Fatalf("code = %q, want %q (message %q)", body.Error.Code, code, body.Error.Message)
	}
	if message != "" && body.Error.Message != message {
		t.Fatalf("message = %q, want %q", body.Error.Message, message)
	}
	ie := body.Error.InnerError
	if ie["request-id"] == "" || ie["request-id"] != r.Header.Get("request-id") || ie["client-request-id"] != r.Header.Get("client-request-id") || len(ie["date"]) != len("2006-01-02T15:04:05") {
		t.Fatalf("innerError %v does not match headers %v", ie, r.Header)
	}
}

func ptr[T any](v T) *T { return &v }

// The JSON accessors of emutest, under short names.
var (
	obj = emutest.Object
	arr = emutest.Array
	str = emutest.String
)

func scope(id, value string, enabled bool) map[string]any {
	return map[string]any{
		"id": id, "value": value, "type": "User", "isEnabled": enabled,
		"adminConsentDisplayName": "Access as client application", "adminConsentDescription": "Allows the client.",
	}
}

func (f *fixture) patchOK(token string, body any) {
	f.t.Helper()
	if r := f.do(http.MethodPatch, f.agentPath(), token, body); r.Status != http.StatusNoContent {
		f.t.Fatalf("PATCH %v = %d %s", body, r.Status, r.Body)
	}
}

func (f *fixture) read() directory.Application {
	f.t.Helper()
	rec, err := f.dir.Get(f.agent.Application.ID, directory.Primary)
	if err != nil {
		f.t.Fatal(err)
	}
	return rec.Application
}

func TestGetReturnsFullDefaultShape(t *testing.T) {
	f := newFixture(t)
	r := f.do(http.MethodGet, f.agentPath(), "admin", nil, "client-request-id", "abc-123")
	if r.Status != http.StatusOK {
		t.Fatalf("GET = %d %s", r.Status, r.Body)
	}
	if r.Header.Get("client-request-id") != "abc-123" || r.Header.Get("request-id") == "" {
		t.Fatalf("request id headers: %v", r.Header)
	}
	m := r.JSON(t)
	if m["@odata.context"] != f.srv.URL+"/graph/v1.0/$metadata#applications/$entity" {
		t.Fatalf("@odata.context = %v", m["@odata.context"])
	}
	for _, k := range []string{"identifierUris", "tags", "appRoles", "keyCredentials", "passwordCredentials", "requiredResourceAccess", "addIns"} {
		if arr, ok := m[k].([]any); !ok || len(arr) != 0 {
			t.Errorf("%s = %#v, want []", k, m[k])
		}
	}
	api := obj(t, m["api"])
	for _, k := range []string{"oauth2PermissionScopes", "preAuthorizedApplications", "knownClientApplications"} {
		if arr, ok := api[k].([]any); !ok || len(arr) != 0 {
			t.Errorf("api.%s = %#v, want []", k, api[k])
		}
	}
	if m["appId"] != f.agent.Application.AppID || m["displayName"] != "agent" {
		t.Fatalf("ids: %v", m)
	}
}

func TestGetByAppIDForms(t *testing.T) {
	f := newFixture(t)
	appID := f.agent.Application.AppID
	for _, p := range []string{
		"/v1.0/applications(appId='" + appID + "')",
		"/v1.0/applications(appId=\"" + appID + "\")",
		"/v1.0/applications%28appId%3D%27" + strings.ToUpper(appID) + "%27%29",
	} {
		r := f.do(http.MethodGet, p, "admin", nil)
		if r.Status != http.StatusOK || r.JSON(t)["id"] != f.agent.Application.ID {
			t.Errorf("GET %s = %d %s", p, r.Status, r.Body)
		}
	}
	missing := "11111111-2222-4333-8444-555555555555"
	r := f.do(http.MethodGet, "/v1.0/applications(appId='"+missing+"')", "admin", nil)
	expectError(t, r, http.StatusNotFound, graphapi.CodeNotFound, "Resource '"+missing+"' does not exist or one of its queried reference-property objects are not present.")
	r = f.do(http.MethodGet, "/v1.0/applications/"+missing, "admin", nil)
	expectError(t, r, http.StatusNotFound, graphapi.CodeNotFound, "Resource '"+missing+"' does not exist or one of its queried reference-property objects are not present.")
	r = f.do(http.MethodGet, "/v1.0/applications/not-a-guid", "admin", nil)
	expectError(t, r, http.StatusBadRequest, graphapi.CodeRequestBadRequest, "Invalid object identifier 'not-a-guid'.")
}

func TestSelect(t *testing.T) {
	f := newFixture(t)
	r := f.do(http.MethodGet, f.agentPath()+"?$select=api", "admin", nil)
	m := r.JSON(t)
	if len(m) != 3 || m["id"] == nil || m["api"] == nil || !strings.HasSuffix(str(t, m, "@odata.context"), "#applications(api)/$entity") {
		t.Fatalf("$select=api returned %s", r.Body)
	}
	r = f.do(http.MethodGet, f.agentPath()+"?%24select=displayName,%20identifierUris", "admin", nil)
	if m := r.JSON(t); len(m) != 4 || m["displayName"] != "agent" {
		t.Fatalf("encoded $select returned %s", r.Body)
	}
	r = f.do(http.MethodGet, f.agentPath()+"?$select=api,nope", "admin", nil)
	expectError(t, r, http.StatusBadRequest, graphapi.CodeBadRequest, "")
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	cases := map[string]string{
		"":              graphapi.MsgTokenEmpty,
		"garbage":       graphapi.MsgTokenInvalid,
		"expired":       graphapi.MsgTokenExpired,
		"lkps-audience": graphapi.MsgTokenAudience,
	}
	for token, msg := range cases {
		r := f.do(http.MethodGet, f.agentPath(), token, nil)
		expectError(t, r, http.StatusUnauthorized, graphapi.CodeInvalidToken, msg)
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: %v", r.Header)
		}
	}
	if r := f.do(http.MethodGet, f.agentPath(), "admin", nil); r.Status != http.StatusOK {
		t.Fatalf("valid token: %d", r.Status)
	}
}

const (
	cliAppID  = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	cliScopes = "Application.ReadWrite.All Directory.AccessAsUser.All"
)

// TestAuthorization checks Graph's rule per kind of token: app-only callers need an app role to read
// and Application.ReadWrite.OwnedBy plus ownership (or Application.ReadWrite.All) to write; owning the
// application without a role is not enough. Users read, and write what they own or as an admin.
func TestAuthorization(t *testing.T) {
	f := newFixture(t)
	body := map[string]any{"notes": "x"}
	denied := func(method, path, token string, body any) {
		t.Helper()
		expectError(t, f.do(method, path, token, body), http.StatusForbidden, graphapi.CodeAccessDenied, graphapi.MsgAccessDenied)
	}
	status := func(method, path, token string, body any, want int) {
		t.Helper()
		if r := f.do(method, path, token, body); r.Status != want {
			t.Fatalf("%s %s as %s = %d %s, want %d", method, path, token, r.Status, r.Body, want)
		}
	}
	for _, tok := range []string{"stranger", "owner"} {
		denied(http.MethodGet, f.agentPath(), tok, nil)
		denied(http.MethodGet, "/v1.0/applications", tok, nil)
		denied(http.MethodPatch, f.agentPath(), tok, body)
		denied(http.MethodDelete, f.agentPath(), tok, nil)
		denied(http.MethodPost, "/v1.0/applications", tok, map[string]any{"displayName": "x"})
	}
	for _, tok := range []string{"reader", "ownedby", "user"} {
		denied(http.MethodPatch, f.agentPath(), tok, body)
		denied(http.MethodDelete, f.agentPath(), tok, nil)
	}
	denied(http.MethodPost, "/v1.0/applications", "reader", map[string]any{"displayName": "x"})
	for _, tok := range []string{"admin", "reader", "ownedby", "ownedby-owner", "user", "user-owner", "user-appadmin"} {
		status(http.MethodGet, f.agentPath(), tok, nil, http.StatusOK)
		r := f.do(http.MethodGet, "/v1.0/applications", tok, nil)
		if r.Status != http.StatusOK || len(arr(t, r.JSON(t)["value"])) == 0 {
			t.Fatalf("%s lists: %d %s", tok, r.Status, r.Body)
		}
	}
	for _, tok := range []string{"ownedby-owner", "user-owner", "user-appadmin", "admin"} {
		f.patchOK(tok, body)
	}
	// A user may create an application and then manage it as its owner.
	r := f.do(http.MethodPost, "/v1.0/applications", "user", map[string]any{"displayName": "mine"})
	if r.Status != http.StatusCreated {
		t.Fatalf("user POST = %d %s", r.Status, r.Body)
	}
	status(http.MethodPatch, "/v1.0/applications/"+str(t, r.JSON(t), "id"), "user", body, http.StatusNoContent)
	status(http.MethodDelete, f.agentPath(), "ownedby-owner", nil, http.StatusNoContent)
}

func TestPatchMergesAPISubPropertiesAndReplacesCollections(t *testing.T) {
	f := newFixture(t)
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access_as_client", true)}}, "identifierUris": []string{"api://" + f.agent.Application.AppID}})
	// azuread's shape: only preAuthorizedApplications inside api, plus @odata.type annotations.
	f.patchOK("admin", map[string]any{"@odata.type": "#microsoft.graph.application", "api": map[string]any{
		"@odata.type":               "#microsoft.graph.apiApplication",
		"preAuthorizedApplications": []any{map[string]any{"appId": clientApp, "delegatedPermissionIds": []string{scopeID}}},
	}})
	app := f.read()
	if len(app.API.OAuth2PermissionScopes) != 1 || len(app.API.PreAuthorizedApplications) != 1 || len(app.IdentifierURIs) != 1 {
		t.Fatalf("merge lost data: %+v", app.API)
	}
	// A sent collection replaces the whole collection.
	f.patchOK("admin", map[string]any{"api": map[string]any{"preAuthorizedApplications": []any{}}})
	if app := f.read(); len(app.API.PreAuthorizedApplications) != 0 || len(app.API.OAuth2PermissionScopes) != 1 {
		t.Fatalf("replacement failed: %+v", app.API)
	}
	// gzip body, as msgraph-sdk-go sends.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(`{"notes":"gzipped"}`)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if r := f.do(http.MethodPatch, f.agentPath(), "admin", buf.Bytes(), "Content-Encoding", "gzip", "Content-Type", "application/json"); r.Status != http.StatusNoContent {
		t.Fatalf("gzip PATCH = %d %s", r.Status, r.Body)
	}
	if app := f.read(); app.Notes == nil || *app.Notes != "gzipped" {
		t.Fatalf("gzip body not applied: %v", app.Notes)
	}
}

func TestPatchBadBodies(t *testing.T) {
	f := newFixture(t)
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", `{"api":`), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", `{"unknownThing":1}`), http.StatusBadRequest, graphapi.CodeRequestBadRequest, "Property 'unknownThing' does not exist as a declared property or extension property.")
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", `{"identifierUris":"api://x"}`), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", `{"notes":"x"}`, "Content-Encoding", "gzip"), http.StatusBadRequest, graphapi.CodeBadRequest, "")
}

func TestEnabledScopeCannotBeRemovedOrChanged(t *testing.T) {
	f := newFixture(t)
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access_as_client", true)}}})

	remove := map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{}}}
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", remove), http.StatusBadRequest, graphapi.CodeEnabledEntitlement, graphapi.MsgEnabledEntitlement)

	renamed := scope(scopeID, "something_else", true)
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{renamed}}}), http.StatusBadRequest, graphapi.CodeEnabledEntitlement, graphapi.MsgEnabledEntitlement)

	admin := scope(scopeID, "access_as_client", true)
	admin["type"] = "Admin"
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{admin}}}), http.StatusBadRequest, graphapi.CodeEnabledEntitlement, graphapi.MsgEnabledEntitlement)

	// Changing texts of an enabled scope is allowed.
	texts := scope(scopeID, "access_as_client", true)
	texts["adminConsentDescription"] = "New description."
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{texts}}})

	// Disable first, then remove.
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access_as_client", false)}}})
	f.patchOK("admin", remove)
	if app := f.read(); len(app.API.OAuth2PermissionScopes) != 0 {
		t.Fatalf("scope not removed: %+v", app.API.OAuth2PermissionScopes)
	}
}

func TestScopeDuplicatesAndShape(t *testing.T) {
	f := newFixture(t)
	dupID := map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "a", false), scope(strings.ToUpper(scopeID), "b", false)}}}
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", dupID), http.StatusBadRequest, graphapi.CodeRequestBadRequest, "")
	dupValue := map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "a", false), scope(scopeID2, "a", false)}}}
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", dupValue), http.StatusBadRequest, graphapi.CodeRequestBadRequest, "")
	badID := map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope("nope", "a", false)}}}
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", badID), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "a", false), scope(scopeID2, "b", false)}}})
}

func TestPreAuthorizedMustReferenceExistingScopes(t *testing.T) {
	f := newFixture(t)
	preauth := []any{map[string]any{"appId": clientApp, "delegatedPermissionIds": []string{scopeID}}}
	// Unknown scope id.
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"api": map[string]any{"preAuthorizedApplications": preauth}}), http.StatusBadRequest, graphapi.CodeRequestBadRequest, graphapi.MsgUnknownPermissionID)
	// Creating the scope and pre-authorizing it in one PATCH fails too.
	both := map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access_as_client", true)}, "preAuthorizedApplications": preauth}}
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", both), http.StatusBadRequest, graphapi.CodeRequestBadRequest, graphapi.MsgUnknownPermissionID)
	// Scope first, then the pre-authorization.
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access_as_client", true)}}})
	f.patchOK("admin", map[string]any{"api": map[string]any{"preAuthorizedApplications": preauth}})
	// Graph lets a disabled, still pre-authorized scope be deleted, leaving a dangling entry...
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access_as_client", false)}}})
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{}}})
	if app := f.read(); len(app.API.PreAuthorizedApplications) != 1 {
		t.Fatalf("dangling entry expected: %+v", app.API)
	}
	// ...which then cannot be re-sent.
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"api": map[string]any{"preAuthorizedApplications": preauth}}), http.StatusBadRequest, graphapi.CodeRequestBadRequest, graphapi.MsgUnknownPermissionID)
	f.patchOK("admin", map[string]any{"api": map[string]any{"preAuthorizedApplications": []any{}}})
}

func TestIdentifierURIRules(t *testing.T) {
	f := newFixture(t)
	appID := f.agent.Application.AppID
	// With the tenant's app management policy at its default (off), Entra accepts api://<any string>
	// (policy_test.go covers the restrictions); http and https hosts must be verified domains.
	for _, uri := range []string{
		"api://" + appID,
		"api://" + tenantID + "/lkps-agent",
		"api://my-agent/" + appID,
		"https://bayer.com/agent",
		"https://agents.int.bayer.com",
		"api://my-agent",
		"api://" + tenantID,
		"urn:x",
	} {
		f.patchOK("admin", map[string]any{"identifierUris": []string{uri}})
	}
	for _, uri := range []string{"https://example.com/agent", "https://notbayer.com", "http://example.com", "not-a-uri"} {
		r := f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"identifierUris": []string{uri}})
		expectError(t, r, http.StatusBadRequest, graphapi.CodeHostNameNotVerified, "Values of identifierUris property must use a verified domain of the organization or its subdomain: '"+uri+"'")
	}
	// Uniqueness across the tenant.
	f.patchOK("admin", map[string]any{"identifierUris": []string{"https://bayer.com/taken"}})
	other, err := f.dir.Create(directory.Record{Application: directory.Application{DisplayName: ptr("other")}})
	if err != nil {
		t.Fatal(err)
	}
	r := f.do(http.MethodPatch, "/v1.0/applications/"+other.Application.ID, "admin", map[string]any{"identifierUris": []string{"https://bayer.com/taken"}})
	expectError(t, r, http.StatusBadRequest, graphapi.CodeRequestBadRequest, graphapi.MsgIdentifierURIExists)
	f.patchOK("admin", map[string]any{"identifierUris": []string{}})
	if r := f.do(http.MethodPatch, "/v1.0/applications/"+other.Application.ID, "admin", map[string]any{"identifierUris": []string{"https://bayer.com/taken"}}); r.Status != http.StatusNoContent {
		t.Fatalf("freed URI: %d %s", r.Status, r.Body)
	}
}

func TestCreateListDelete(t *testing.T) {
	f := newFixture(t)
	r := f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"@odata.type": "#microsoft.graph.application", "displayName": "created", "signInAudience": "AzureADMyOrg"})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST = %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	id, appID := str(t, m, "id"), str(t, m, "appId")
	if !directory.IsGUID(id) || !directory.IsGUID(appID) || r.Header.Get("Location") == "" {
		t.Fatalf("created: %s %v", r.Body, r.Header)
	}
	expectError(t, f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"notes": "no name"}), http.StatusBadRequest, graphapi.CodeRequestBadRequest, "")
	expectError(t, f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"displayName": "x", "api": map[string]any{
		"oauth2PermissionScopes":    []any{scope(scopeID, "access_as_client", true)},
		"preAuthorizedApplications": []any{map[string]any{"appId": clientApp, "delegatedPermissionIds": []string{scopeID}}},
	}}), http.StatusBadRequest, graphapi.CodeRequestBadRequest, graphapi.MsgUnknownPermissionID)

	// The creator owns the application created with OwnedBy.
	r = f.do(http.MethodPost, "/v1.0/applications", "ownedby", map[string]any{"displayName": "mine"})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST with OwnedBy = %d %s", r.Status, r.Body)
	}
	if r := f.do(http.MethodPatch, "/v1.0/applications/"+str(t, r.JSON(t), "id"), "ownedby", map[string]any{"notes": "ok"}); r.Status != http.StatusNoContent {
		t.Fatalf("creator PATCH = %d %s", r.Status, r.Body)
	}

	r = f.do(http.MethodGet, "/v1.0/applications?$filter=appId%20eq%20'"+appID+"'&$select=displayName", "admin", nil)
	v := arr(t, r.JSON(t)["value"])
	if len(v) != 1 || obj(t, v[0])["displayName"] != "created" {
		t.Fatalf("filter returned %s", r.Body)
	}
	r = f.do(http.MethodGet, "/v1.0/applications?$filter=startswith(displayName,'c')", "admin", nil)
	expectError(t, r, http.StatusBadRequest, graphapi.CodeUnsupportedQuery, "")

	if r := f.do(http.MethodDelete, "/v1.0/applications/"+id, "admin", nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", r.Status, r.Body)
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/applications/"+id, "admin", nil), http.StatusNotFound, graphapi.CodeNotFound, "")
	expectError(t, f.do(http.MethodDelete, "/v1.0/applications/"+id, "admin", nil), http.StatusNotFound, graphapi.CodeNotFound, "")
	if f.counts.Get(graphapi.RouteCreateApplication) != 4 || f.counts.Get(graphapi.RouteDeleteApplication) != 2 || f.counts.Get(graphapi.RouteListApplications) != 2 {
		t.Fatalf("counters = %v", f.counts.Snapshot())
	}
}

func TestFaultInjection(t *testing.T) {
	f := newFixture(t)
	if err := f.faults.Set(faults.Config{ThrottleNext: 1, RetryAfterSeconds: 7}); err != nil {
		t.Fatal(err)
	}
	r := f.do(http.MethodGet, f.agentPath(), "admin", nil)
	expectError(t, r, http.StatusTooManyRequests, graphapi.CodeTooManyRequests, "")
	if r.Header.Get("Retry-After") != "7" {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	if r := f.do(http.MethodGet, f.agentPath(), "admin", nil); r.Status != http.StatusOK {
		t.Fatalf("after the burst: %d", r.Status)
	}
	if err := f.faults.Set(faults.Config{UnavailableNext: 1}); err != nil {
		t.Fatal(err)
	}
	expectError(t, f.do(http.MethodGet, f.agentPath(), "admin", nil), http.StatusServiceUnavailable, graphapi.CodeServiceNotAvailable, "")
	if err := f.faults.Set(faults.Config{ConflictNextWrites: 2}); err != nil {
		t.Fatal(err)
	}
	if r := f.do(http.MethodGet, f.agentPath(), "admin", nil); r.Status != http.StatusOK {
		t.Fatalf("reads are not conflicted: %d", r.Status)
	}
	for range 2 {
		expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"notes": "x"}), http.StatusConflict, graphapi.CodeConcurrencyViolation, "")
	}
	f.patchOK("admin", map[string]any{"notes": "x"})
	// Faults come after authentication: a bad token is still a 401.
	if err := f.faults.Set(faults.Config{ThrottleNext: 1}); err != nil {
		t.Fatal(err)
	}
	expectError(t, f.do(http.MethodGet, f.agentPath(), "", nil), http.StatusUnauthorized, graphapi.CodeInvalidToken, "")
	f.faults.Clear()
}

func TestStaleReadsAfterWrites(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(time.Hour)
	if err := f.faults.Set(faults.Config{ReplicaLag: 5 * time.Second, StaleReadProbability: 1}); err != nil {
		t.Fatal(err)
	}
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access_as_client", true)}}})
	r := f.do(http.MethodGet, f.agentPath()+"?$select=api", "admin", nil)
	if scopes := arr(t, obj(t, r.JSON(t)["api"])["oauth2PermissionScopes"]); len(scopes) != 0 {
		t.Fatalf("expected a stale read without the new scope, got %s", r.Body)
	}
	// A just-disabled scope still reads as enabled on the replica, so removing it fails.
	f.clock.Advance(6 * time.Second)
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope(scopeID, "access_as_client", false)}}})
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{}}}), http.StatusBadRequest, graphapi.CodeEnabledEntitlement, "")
	f.clock.Advance(6 * time.Second)
	f.patchOK("admin", map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{}}})
	// A just-created application is missing on the replica.
	r = f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"displayName": "new"})
	id := str(t, r.JSON(t), "id")
	expectError(t, f.do(http.MethodGet, "/v1.0/applications/"+id, "admin", nil), http.StatusNotFound, graphapi.CodeNotFound, "")
	f.clock.Advance(6 * time.Second)
	if r := f.do(http.MethodGet, "/v1.0/applications/"+id, "admin", nil); r.Status != http.StatusOK {
		t.Fatalf("after the lag: %d", r.Status)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	f := newFixture(t)
	expectError(t, f.do(http.MethodGet, "/v1.0/users", "admin", nil), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	expectError(t, f.do(http.MethodPost, "/v1.0/servicePrincipals", "admin", `{}`), http.StatusBadRequest, graphapi.CodeRequestBadRequest, "Required property 'appId' not set.")
	expectError(t, f.do(http.MethodPut, f.agentPath(), "admin", `{}`), http.StatusMethodNotAllowed, graphapi.CodeMethodNotAllowed, "")
	expectError(t, f.do(http.MethodGet, "/v2.0/applications", "admin", nil), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	expectError(t, f.do(http.MethodGet, "/beta/groups", "admin", nil), http.StatusBadRequest, graphapi.CodeBadRequest, "")
}

// /beta serves v1.0's application paths; oauth2RequirePostResponse (which azuread reads from /beta) is
// an application property, false by default.
func TestBetaApplicationPaths(t *testing.T) {
	f := newFixture(t)
	beta := "/beta/applications/" + f.agent.Application.ID
	r := f.do(http.MethodGet, beta+"?$select=oauth2RequirePostResponse", "admin", nil)
	if r.Status != http.StatusOK || r.JSON(t)["oauth2RequirePostResponse"] != false || r.JSON(t)["id"] != f.agent.Application.ID || len(r.JSON(t)) != 3 {
		t.Fatalf("GET beta $select = %d %s", r.Status, r.Body)
	}
	if r := f.do(http.MethodPatch, beta, "admin", map[string]any{"oauth2RequirePostResponse": true, "notes": "n"}); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH beta = %d %s", r.Status, r.Body)
	}
	r = f.do(http.MethodGet, "/v1.0/applications/"+f.agent.Application.ID, "admin", nil)
	if r.JSON(t)["oauth2RequirePostResponse"] != true || r.JSON(t)["notes"] != "n" {
		t.Fatalf("GET after the beta PATCH = %s", r.Body)
	}
	expectError(t, f.do(http.MethodPatch, beta, "admin", map[string]any{"oauth2RequirePostResponse": "yes"}), http.StatusBadRequest, graphapi.CodeBadRequest, "")
}

func TestServicePrincipalByAppID(t *testing.T) {
	f := newFixture(t)
	sp := "/v1.0/servicePrincipals(appId='" + f.agent.Application.AppID + "')"
	r := f.do(http.MethodGet, sp, "reader", nil)
	if r.Status != http.StatusOK || str(t, r.JSON(t), "appId") != f.agent.Application.AppID {
		t.Fatalf("GET service principal = %d %s", r.Status, r.Body)
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/servicePrincipals(appId='"+clientApp+"')", "reader", nil), http.StatusNotFound, graphapi.CodeNotFound,
		"Resource '"+clientApp+"' does not exist or one of its queried reference-property objects are not present.")
	expectError(t, f.do(http.MethodGet, sp, "stranger", nil), http.StatusForbidden, graphapi.CodeAccessDenied, graphapi.MsgAccessDenied)
	// $select projects the entity (id is always kept) and names it in @odata.context; unknown
	// properties and an empty key are refused.
	r = f.do(http.MethodGet, sp+"?$select=appId", "reader", nil)
	if m := r.JSON(t); r.Status != http.StatusOK || len(m) != 3 || str(t, m, "id") == "" || str(t, m, "appId") != f.agent.Application.AppID ||
		!strings.HasSuffix(str(t, m, "@odata.context"), "/v1.0/$metadata#servicePrincipals(appId)/$entity") {
		t.Errorf("GET service principal with $select = %d %s", r.Status, r.Body)
	}
	// samlMetadataUrl is a beta property: v1.0 refuses it (serviceprincipalprops_test.go serves it on /beta).
	expectError(t, f.do(http.MethodGet, sp+"?$select=samlMetadataUrl", "reader", nil), http.StatusBadRequest, graphapi.CodeBadRequest,
		"Parsing OData Select and Expand failed: Could not find a property named 'samlMetadataUrl' on type 'microsoft.graph.servicePrincipal'.")
	expectError(t, f.do(http.MethodGet, "/v1.0/servicePrincipals(appId='')", "reader", nil), http.StatusBadRequest, graphapi.CodeBadRequest, "")
}

// appIDIn is the $filter "appId in (…)" of the IDs, URL-encoded, with the IDs in the case given.
func appIDIn(ids ...string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "'" + id + "'"
	}
	return url.QueryEscape("appId in (" + strings.Join(q, ",") + ")")
}

// appIDs returns the appIds of a collection answer.
func appIDs(t *testing.T, r response) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	var out []string
	for _, v := range arr(t, r.JSON(t)["value"]) {
		out = append(out, strings.ToLower(str(t, obj(t, v), "appId")))
	}
	sort.Strings(out)
	return out
}

func TestAppIDInFilter(t *testing.T) {
	f := newFixture(t)
	other, err := f.dir.Create(directory.Record{Application: directory.Application{DisplayName: ptr("other")}, Owners: []string{ownerOID}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.ToLower(f.agent.Application.AppID), strings.ToLower(other.Application.AppID)
	want := []string{a, b}
	sort.Strings(want)
	filter := appIDIn(strings.ToUpper(a), b, directory.NewGUID())
	for _, coll := range []string{"applications", "servicePrincipals"} {
		// Values compare case-insensitively; unknown values match nothing; $select keeps id.
		r := f.do(http.MethodGet, "/v1.0/"+coll+"?$filter="+filter+"&$select=id,appId", "reader", nil)
		if got := appIDs(t, r); !slices.Equal(got, want) {
			t.Errorf("%s: appIds = %v, want %v", coll, got, want)
		}
		for _, v := range arr(t, r.JSON(t)["value"]) {
			if m := obj(t, v); len(m) != 2 || str(t, m, "id") == "" {
				t.Errorf("%s: entry %v, want only id and appId", coll, m)
			}
		}
		if got := appIDs(t, f.do(http.MethodGet, "/v1.0/"+coll+"?$filter="+appIDIn(directory.NewGUID()), "reader", nil)); len(got) != 0 {
			t.Errorf("%s: an unknown appId matched %v", coll, got)
		}
		// 15 values are accepted, 16 are refused as Graph refuses them.
		ids := make([]string, 16)
		for i := range ids {
			ids[i] = directory.NewGUID()
		}
		ids[0] = a
		if got := appIDs(t, f.do(http.MethodGet, "/v1.0/"+coll+"?$filter="+appIDIn(ids[:15]...), "reader", nil)); !slices.Equal(got, []string{a}) {
			t.Errorf("%s: 15 values: appIds %v", coll, got)
		}
		expectError(t, f.do(http.MethodGet, "/v1.0/"+coll+"?$filter="+appIDIn(ids...), "reader", nil), http.StatusBadRequest, graphapi.CodeUnsupportedQuery,
			"Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15.")
		// Malformed lists are unsupported queries.
		for _, bad := range []string{"appId in ()", "appId in ('a'", "appId in (a)", "appId in ('a','b)"} {
			expectError(t, f.do(http.MethodGet, "/v1.0/"+coll+"?$filter="+url.QueryEscape(bad), "reader", nil), http.StatusBadRequest, graphapi.CodeUnsupportedQuery, "")
		}
		// Reading needs what reading an application needs.
		expectError(t, f.do(http.MethodGet, "/v1.0/"+coll+"?$filter="+filter, "stranger", nil), http.StatusForbidden, graphapi.CodeAccessDenied, graphapi.MsgAccessDenied)
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/servicePrincipals?$filter="+url.QueryEscape("displayName eq 'agent'"), "reader", nil), http.StatusBadRequest, graphapi.CodeUnsupportedQuery, "")
	expectError(t, f.do(http.MethodGet, "/v1.0/servicePrincipals?$select=samlMetadataUrl", "reader", nil), http.StatusBadRequest, graphapi.CodeBadRequest, "")
	if got := appIDs(t, f.do(http.MethodGet, "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+b+"'"), "reader", nil)); !slices.Equal(got, []string{b}) {
		t.Errorf("servicePrincipals appId eq: %v", got)
	}
	if f.counts.Get(graphapi.RouteListServicePrincipals) == 0 {
		t.Errorf("counters = %v, want service principal lists counted", f.counts.Snapshot())
	}
}

// "id in (…)" finds applications by object ID, as Graph's directory does, with the limits of
// "appId in (…)"; $select keeps the full api object.
func TestObjectIDInFilter(t *testing.T) {
	f := newFixture(t)
	other, err := f.dir.Create(directory.Record{Application: directory.Application{DisplayName: ptr("other")}, Owners: []string{ownerOID}})
	if err != nil {
		t.Fatal(err)
	}
	in := func(ids ...string) string {
		q := make([]string, len(ids))
		for i, id := range ids {
			q[i] = "'" + id + "'"
		}
		return url.QueryEscape("id in (" + strings.Join(q, ",") + ")")
	}
	r := f.do(http.MethodGet, "/v1.0/applications?$filter="+in(strings.ToUpper(f.agent.Application.ID), other.Application.ID, directory.NewGUID())+
		"&$select=id,appId,identifierUris,api", "reader", nil)
	want := []string{strings.ToLower(f.agent.Application.AppID), strings.ToLower(other.Application.AppID)}
	sort.Strings(want)
	if got := appIDs(t, r); !slices.Equal(got, want) {
		t.Fatalf("appIds = %v, want %v", got, want)
	}
	for _, v := range arr(t, r.JSON(t)["value"]) {
		api := obj(t, obj(t, v)["api"])
		if _, ok := api["preAuthorizedApplications"]; !ok {
			t.Errorf("entry without api.preAuthorizedApplications: %v", v)
		}
	}
	ids := make([]string, 16)
	for i := range ids {
		ids[i] = directory.NewGUID()
	}
	expectError(t, f.do(http.MethodGet, "/v1.0/applications?$filter="+in(ids...), "reader", nil), http.StatusBadRequest, graphapi.CodeUnsupportedQuery,
		"Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15.")
	expectError(t, f.do(http.MethodGet, "/v1.0/applications?$filter="+url.QueryEscape("id in ('a'"), "reader", nil), http.StatusBadRequest, graphapi.CodeUnsupportedQuery, "")
}
