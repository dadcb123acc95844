package graph_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

func TestOwnedApplicationsListsWhatTheIdentityOwns(t *testing.T) {
	inBubble(t, func(t *testing.T) {
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
		byID := map[string]graph.Application{}
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
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		rec, err := h.ts.Admin().CreateApplication(emulator.SeedApplication{
			DisplayName: "no graph role", Secrets: []emulator.SeedSecret{{Value: "no-role-secret", DisplayName: "t"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		c, _, _ := newClient(t, h.ts, rec.Application.AppID, "no-role-secret", fastConfig)
		_, err = c.OwnedApplications(ctxWithTimeout(t, time.Minute))
		var forbidden *graph.ForbiddenError
		if !errors.As(err, &forbidden) {
			t.Fatalf("want a ForbiddenError, got %v", err)
		}
	})
}

func TestApplicationDisplayName(t *testing.T) {
	inBubble(t, func(t *testing.T) {
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
