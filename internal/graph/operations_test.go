package graph_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// mixedAgentAPI is an application whose lists hold entries the tests do not manage.
const mixedAgentAPI = `{
  "oauth2PermissionScopes": [
    {"id": "0e0e0e0e-0000-4000-8000-00000000000a", "value": "other_scope", "type": "Admin",
     "adminConsentDisplayName": "Other", "adminConsentDescription": "Someone else's scope",
     "userConsentDisplayName": null, "userConsentDescription": null, "isEnabled": true}
  ],
  "preAuthorizedApplications": [
    {"appId": "0f0f0f0f-0000-4000-8000-000000000001", "delegatedPermissionIds": ["0E0E0E0E-0000-4000-8000-00000000000A"]},
    {"appId": "0f0f0f0f-0000-4000-8000-000000000002", "delegatedPermissionIds": []}
  ]
}`

func TestRoundTrip(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, time.Minute)
		agent := emulator.DefaultAgentAppID
		ref := model.ByAppID(agent)

		app, err := h.client.GetApplication(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(app.AppID, agent) || app.ObjectID == "" || app.DisplayName != "Example LKPS agent" {
			t.Fatalf("application = %+v", app)
		}

		added, err := h.client.EnsureIdentifierURI(ctx, ref, "API://"+strings.ToUpper(agent))
		if err != nil || added {
			t.Fatalf("ensuring the existing URI (other case): added=%v err=%v", added, err)
		}
		extra := "api://" + h.ts.TenantID() + "/lkps-agent"
		if added, err = h.client.EnsureIdentifierURI(ctx, ref, extra); err != nil || !added {
			t.Fatalf("ensuring a new URI: added=%v err=%v", added, err)
		}

		want := accessScope("")
		created, err := createScope(ctx, h.client, ref, want)
		if err != nil {
			t.Fatal(err)
		}
		if created.ID == "" {
			t.Fatal("no scope id generated")
		}
		want.ID = created.ID
		if created != want {
			t.Fatalf("created = %+v, want %+v", created, want)
		}
		got, err := getScope(ctx, h.client, model.ByObjectID(app.ObjectID), strings.ToUpper(created.ID))
		if err != nil || got != want {
			t.Fatalf("GetScope = %+v, %v", got, err)
		}

		entry, err := h.client.AddPreAuthorization(ctx, ref, strings.ToUpper(emulator.DefaultClientAppID), created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(entry.DelegatedPermissionIDs) != 1 || !strings.EqualFold(entry.DelegatedPermissionIDs[0], created.ID) {
			t.Fatalf("entry = %+v", entry)
		}
		if _, err := getPreAuthorization(ctx, h.client, model.ByAnyID(agent), emulator.DefaultClientAppID); err != nil {
			t.Fatal(err)
		}

		stored := h.stored(t, agent)
		if !slices.Contains(stored.IdentifierURIs, extra) || len(stored.API.OAuth2PermissionScopes) != 1 || len(stored.API.PreAuthorizedApplications) != 1 {
			t.Fatalf("stored = %+v", stored.API)
		}

		// Texts and consent change in place: one PATCH that never disables the scope.
		before := len(h.rec.Patches())
		want.AdminConsentDescription = "Changed description"
		want.UserConsentDisplayName = "Access the agent"
		want.UserConsentDescription = "Lets the client start sessions."
		updated, err := h.client.UpdateScope(ctx, ref, want)
		if err != nil || updated != want {
			t.Fatalf("UpdateScope = %+v, %v", updated, err)
		}
		patches := h.rec.Patches()[before:]
		if len(patches) != 1 || strings.Contains(patches[0], `"isEnabled":false`) {
			t.Fatalf("text update sent %d PATCHes: %q", len(patches), patches)
		}
		if s := h.stored(t, agent).API.OAuth2PermissionScopes[0]; !s.IsEnabled || *s.AdminConsentDescription != "Changed description" {
			t.Fatalf("stored scope = %+v", s)
		}

		if err := h.client.RemovePreAuthorization(ctx, ref, emulator.DefaultClientAppID, created.ID); err != nil {
			t.Fatal(err)
		}
		if err := h.client.RemovePreAuthorization(ctx, ref, emulator.DefaultClientAppID, created.ID); err != nil {
			t.Fatalf("removing an absent pre-authorization: %v", err)
		}
		if _, err := getPreAuthorization(ctx, h.client, ref, emulator.DefaultClientAppID); !errors.Is(err, errPreAuthorizationNotFound) {
			t.Fatalf("GetPreAuthorization after removal: %v", err)
		}
		cleared, err := deleteScope(ctx, h.client, ref, created.ID)
		if err != nil || len(cleared) != 0 {
			t.Fatalf("DeleteScope = %q, %v", cleared, err)
		}
		if removed, err := h.client.RemoveIdentifierURI(ctx, ref, extra); err != nil || !removed {
			t.Fatalf("RemoveIdentifierURI = %v, %v", removed, err)
		}
		final := h.stored(t, agent)
		if len(final.API.OAuth2PermissionScopes) != 0 || len(final.API.PreAuthorizedApplications) != 0 ||
			!reflect.DeepEqual(final.IdentifierURIs, []string{"api://" + agent}) {
			t.Fatalf("final = %+v %+v", final.IdentifierURIs, final.API)
		}

		// Logging: every request line names method, path, status and attempt; no credential appears
		// (testLogger fails the test on one).
		var logged int
		for _, l := range h.log.Lines() {
			if l["msg"] == "Microsoft Graph request" {
				logged++
				for _, k := range []string{"method", "path", "status", "attempt", "request_id"} {
					if _, ok := l[k]; !ok {
						t.Fatalf("log line without %s: %v", k, l)
					}
				}
			}
		}
		seen := h.requests()
		if st := h.client.Stats(); int64(logged) != st.Gets+st.Patches || st.Gets != seen.reads() || st.Patches != seen.patches {
			t.Fatalf("logged %d requests; client counted %d GET + %d PATCH; emulator %d GET + %d PATCH", logged, st.Gets, st.Patches, seen.reads(), seen.patches)
		}
	})
}

func TestReferenceForms(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, time.Minute)
		appID, objectID := h.newAgent(t, exposedAgent)

		for _, ref := range []model.AppRef{
			model.ByAppID(appID), model.ByAppID(strings.ToUpper(appID)), model.ByObjectID(objectID),
			model.ByAnyID(appID), model.ByAnyID(strings.ToUpper(objectID)),
		} {
			app, err := h.client.GetApplication(ctx, ref)
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			if app.ObjectID != objectID || app.AppID != appID {
				t.Fatalf("%s resolved to %s/%s", ref, app.ObjectID, app.AppID)
			}
		}

		// A write through one form is visible through the other at once: both share one worker and its
		// read-your-writes memory.
		s, err := createScope(ctx, h.client, model.ByAnyID(strings.ToUpper(objectID)), accessScope(""))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := getScope(ctx, h.client, model.ByAppID(appID), s.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTypedErrors(t *testing.T) {
	t.Parallel()
	h, ctx, ref := newAgentHarness(t, exposedAgent)
	scope := h.createScope(t, ctx, ref)

	t.Run("unknown application, retried only briefly", func(t *testing.T) {
		start := time.Now()
		_, err := h.client.GetApplication(ctx, model.ByAnyID(newGUID(t)))
		var nf *model.NotFoundError
		if !errors.As(err, &nf) || !errors.Is(err, model.ErrNotFound) || nf.Code != "Request_ResourceNotFound" || nf.RequestID == "" {
			t.Fatalf("err = %#v", err)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Fatalf("a mistyped ID took %s to report", elapsed)
		}
		if _, err := h.client.AddPreAuthorization(ctx, model.ByAppID(newGUID(t)), emulator.DefaultClientAppID, scope.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("write to unknown application: %v", err)
		}
	})
	t.Run("scope exists", func(t *testing.T) {
		_, err := createScope(ctx, h.client, ref, accessScope(""))
		if !errors.Is(err, model.ErrScopeExists) || !strings.HasSuffix(err.Error(), "already exists with id "+scope.ID) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("pre-authorization exists", func(t *testing.T) {
		if _, err := h.client.AddPreAuthorization(ctx, ref, emulator.DefaultClientAppID, scope.ID); err != nil {
			t.Fatal(err)
		}
		_, err := h.client.AddPreAuthorization(ctx, ref, strings.ToUpper(emulator.DefaultClientAppID), strings.ToUpper(scope.ID))
		if !errors.Is(err, model.ErrPreAuthorizationExists) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unknown scope", func(t *testing.T) {
		_, err := h.client.AddPreAuthorization(ctx, ref, emulator.DefaultClientAppID, newGUID(t))
		if !errors.Is(err, model.ErrScopeNotFound) {
			t.Fatalf("add: %v", err)
		}
		s := accessScope(newGUID(t))
		if _, err := h.client.UpdateScope(ctx, ref, s); !errors.Is(err, model.ErrScopeNotFound) {
			t.Fatalf("update: %v", err)
		}
		if _, err := getScope(ctx, h.client, ref, s.ID); !errors.Is(err, model.ErrScopeNotFound) {
			t.Fatalf("get: %v", err)
		}
	})
	t.Run("identifier URI not on a verified domain", func(t *testing.T) {
		_, err := h.client.EnsureIdentifierURI(ctx, ref, "https://not-verified.example.com/agent")
		var ve *model.ValidationError
		if !errors.As(err, &ve) || ve.Code != "HostNameNotOnVerifiedDomain" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("identifier URI used by another application", func(t *testing.T) {
		uri := "api://" + h.ts.TenantID() + "/shared-" + newGUID(t)
		other, _ := h.newAgent(t, agentSpec{uris: []string{uri}})
		_ = other
		_, err := h.client.EnsureIdentifierURI(ctx, ref, uri)
		var ve *model.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Message, "identifierUris already exists") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("forbidden", func(t *testing.T) {
		// The example client holds no Graph role: it can neither read nor change the agent. What to grant
		// is the provider's diagnostic (TestForbiddenSaysWhatToGrant).
		c, _, _ := newClient(t, h.ts, emulator.DefaultClientAppID, emulator.DefaultClientSecret, fastConfig)
		_, err := c.GetApplication(ctx, ref)
		var fb *model.ForbiddenError
		if !errors.As(err, &fb) || fb.Code != "Authorization_RequestDenied" {
			t.Fatalf("err = %v", err)
		}
		// Owning the agent is not enough without an app role.
		if err := h.ts.Admin().AddOwners(ref.ID, emulator.DefaultClientAppID); err != nil {
			t.Fatal(err)
		}
		_, err = c.EnsureIdentifierURI(ctx, ref, "api://"+h.ts.TenantID()+"/owner-without-role")
		if !errors.As(err, &fb) {
			t.Fatalf("owner without a role: err = %v, want 403", err)
		}
	})
}

func TestUnmanagedEntriesAreUntouched(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		otherURI := "https://bayer.com/other-" + newGUID(t)
		h, ctx, ref := newAgentHarness(t, agentSpec{uris: []string{"api://{appId}", otherURI}, api: mixedAgentAPI})
		original := h.stored(t, ref.ID)
		unmanagedClient := "0f0f0f0f-0000-4000-8000-000000000001"
		otherScopeID := "0e0e0e0e-0000-4000-8000-00000000000a"

		scope := h.createScope(t, ctx, ref)
		// A managed client that already has another permission: ours is added next to it.
		if _, err := h.client.AddPreAuthorization(ctx, ref, unmanagedClient, scope.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.AddPreAuthorization(ctx, ref, emulator.DefaultClientAppID, scope.ID); err != nil {
			t.Fatal(err)
		}
		s := scope
		s.AdminConsentDescription = "updated"
		if _, err := h.client.UpdateScope(ctx, ref, s); err != nil {
			t.Fatal(err)
		}
		mid := h.stored(t, ref.ID)
		// Graph stores GUIDs in its lower-case form (guidType), whatever case they were sent in.
		if e := mid.API.PreAuthorizedApplications[0]; !slices.EqualFunc(e.DelegatedPermissionIDs, []string{"0E0E0E0E-0000-4000-8000-00000000000A", scope.ID}, strings.EqualFold) {
			t.Fatalf("the unmanaged client's entry = %+v", e)
		}

		if err := h.client.RemovePreAuthorization(ctx, ref, unmanagedClient, scope.ID); err != nil {
			t.Fatal(err)
		}
		cleared, err := deleteScope(ctx, h.client, ref, scope.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cleared, []string{emulator.DefaultClientAppID}) {
			t.Fatalf("cleared = %q", cleared)
		}

		final := h.stored(t, ref.ID)
		if !reflect.DeepEqual(final.IdentifierURIs, original.IdentifierURIs) {
			t.Fatalf("identifier URIs %q, want %q", final.IdentifierURIs, original.IdentifierURIs)
		}
		if !reflect.DeepEqual(final.API.OAuth2PermissionScopes, original.API.OAuth2PermissionScopes) {
			t.Fatalf("scopes\n%s\nwant\n%s", jsonOf(final.API.OAuth2PermissionScopes), jsonOf(original.API.OAuth2PermissionScopes))
		}
		if !reflect.DeepEqual(final.API.PreAuthorizedApplications, original.API.PreAuthorizedApplications) {
			t.Fatalf("pre-authorized\n%s\nwant\n%s", jsonOf(final.API.PreAuthorizedApplications), jsonOf(original.API.PreAuthorizedApplications))
		}
		if _, err := getScope(ctx, h.client, ref, otherScopeID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUpdateScopeValueDisablesFirst(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		scope := h.createScope(t, ctx, ref)
		before := len(h.rec.Patches())
		s := scope
		s.Value = "renamed_scope"
		s.Type = model.ScopeTypeAdmin
		got, err := h.client.UpdateScope(ctx, ref, s)
		if err != nil || got != s {
			t.Fatalf("UpdateScope = %+v, %v", got, err)
		}
		patches := h.rec.Patches()[before:]
		if len(patches) != 3 {
			t.Fatalf("want disable, change, enable; got %d PATCHes: %q", len(patches), patches)
		}
		for i, want := range []struct {
			enabled bool
			value   string
		}{{false, "access_as_client"}, {false, "renamed_scope"}, {true, "renamed_scope"}} {
			var body struct {
				API struct {
					Scopes []struct {
						IsEnabled bool   `json:"isEnabled"`
						Value     string `json:"value"`
					} `json:"oauth2PermissionScopes"`
				} `json:"api"`
			}
			if err := json.Unmarshal([]byte(patches[i]), &body); err != nil || len(body.API.Scopes) != 1 {
				t.Fatalf("PATCH %d: %v %s", i, err, patches[i])
			}
			if sc := body.API.Scopes[0]; sc.IsEnabled != want.enabled || sc.Value != want.value {
				t.Fatalf("PATCH %d sent %+v, want %+v", i, sc, want)
			}
		}
	})
}

func TestDeleteScopeClearsReferencesFirst(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, agentSpec{uris: []string{"api://{appId}"}, api: mixedAgentAPI})
		scope := h.createScope(t, ctx, ref)
		clients := []string{"0f0f0f0f-0000-4000-8000-000000000001", newGUID(t), newGUID(t)}
		for _, c := range clients {
			if _, err := h.client.AddPreAuthorization(ctx, ref, c, scope.ID); err != nil {
				t.Fatal(err)
			}
		}
		before := len(h.rec.Patches())
		cleared, err := deleteScope(ctx, h.client, ref, scope.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cleared, clients) {
			t.Fatalf("cleared = %q, want %q", cleared, clients)
		}
		patches := h.rec.Patches()[before:]
		if len(patches) != 3 || !strings.Contains(patches[0], "preAuthorizedApplications") || strings.Contains(patches[0], "oauth2PermissionScopes") ||
			!strings.Contains(patches[1], `"isEnabled":false`) || strings.Contains(patches[2], scope.ID) {
			t.Fatalf("want references, disable, remove; got %q", patches)
		}
		final := h.stored(t, ref.ID)
		want := h.stored(t, ref.ID).API.PreAuthorizedApplications[:0]
		want = append(want,
			directory.PreAuthorizedApp{AppID: clients[0], DelegatedPermissionIDs: []string{"0E0E0E0E-0000-4000-8000-00000000000A"}},
			directory.PreAuthorizedApp{AppID: "0f0f0f0f-0000-4000-8000-000000000002", DelegatedPermissionIDs: []string{}})
		if !reflect.DeepEqual(final.API.PreAuthorizedApplications, want) {
			t.Fatalf("entries = %s", jsonOf(final.API.PreAuthorizedApplications))
		}
		if len(final.API.OAuth2PermissionScopes) != 1 {
			t.Fatalf("scopes = %s", jsonOf(final.API.OAuth2PermissionScopes))
		}
		// Deleting again is not an error.
		if cleared, err := deleteScope(ctx, h.client, ref, scope.ID); err != nil || len(cleared) != 0 {
			t.Fatalf("second delete = %q, %v", cleared, err)
		}
	})
}

func TestOwnedApplicationsListsWhatTheIdentityOwns(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, time.Minute)
		a1, _ := h.newAgent(t, agentSpec{api: `{"oauth2PermissionScopes":[{"id":"0a0a0a0a-0000-4000-8000-000000000001","value":"access_as_client","type":"User","adminConsentDisplayName":"x","adminConsentDescription":"x","isEnabled":true}]}`})
		a2, _ := h.newAgent(t, agentSpec{})
		other, err := h.ts.Admin().CreateApplication(emulator.SeedApplication{DisplayName: "not owned"})
		if err != nil {
			t.Fatal(err)
		}
		apps, err := h.client.OwnedApplications(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]model.Application{}
		for _, a := range apps {
			byID[strings.ToLower(a.AppID)] = a
		}
		for _, want := range []string{a1, a2} {
			if _, ok := byID[strings.ToLower(want)]; !ok {
				t.Errorf("owned application %s not listed (got %d applications)", want, len(apps))
			}
		}
		if _, ok := byID[strings.ToLower(other.Application.AppID)]; ok {
			t.Errorf("an application the identity does not own was listed")
		}
		if s, ok := byID[strings.ToLower(a1)].ScopeByValue("access_as_client"); !ok || s.ID != "0a0a0a0a-0000-4000-8000-000000000001" {
			t.Errorf("the listed application's scopes were not read: %+v", byID[strings.ToLower(a1)])
		}
	})
}

func TestOwnedApplicationsNeedsAReadingRole(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		rec, err := h.ts.Admin().CreateApplication(emulator.SeedApplication{
			DisplayName: "no graph role", Secrets: []emulator.SeedSecret{{Value: "no-role-secret", DisplayName: "t"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		c, _, _ := newClient(t, h.ts, rec.Application.AppID, "no-role-secret", fastConfig)
		_, err = c.OwnedApplications(ctxWithTimeout(t, time.Minute))
		var forbidden *model.ForbiddenError
		if !errors.As(err, &forbidden) {
			t.Fatalf("want a ForbiddenError, got %v", err)
		}
	})
}

func TestApplicationDisplayName(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, time.Minute)
		rec, err := h.ts.Admin().CreateApplication(emulator.SeedApplication{DisplayName: "Team X's client"})
		if err != nil {
			t.Fatal(err)
		}
		name, err := h.client.ApplicationDisplayName(ctx, strings.ToUpper(rec.Application.AppID))
		if err != nil || name != "Team X's client" {
			t.Fatalf("name = %q, %v", name, err)
		}
		name, err = h.client.ApplicationDisplayName(ctx, "9f9f9f9f-0000-4000-8000-000000000009")
		if err != nil || name != "" {
			t.Fatalf("an unknown application: name = %q, %v; want no name and no error", name, err)
		}
	})
}
