package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// A long-lived client (one terraform process) keeps working after another writer (a second process,
// the portal) changed the same scope between its operations: it must not build its next write on what
// it read or wrote before, and must not wait for a confirmation it can never get. Each edit alternates
// between two writers, both with the default read reuse, with and without replication lag. Before
// the fix, the long-lived client took the other writer's version for a stale replica (waiting out the
// overwrite window and recording it as lag) and then sent the disable and the rename in one PATCH,
// which Graph refuses.
func TestLongLivedClientAfterForeignScopeChanges(t *testing.T) {
	const lag = 400 * time.Millisecond
	for _, tc := range []struct {
		name string
		lag  time.Duration
		opts []emulator.Option
	}{
		{"no lag", 0, nil},
		{"lag", lag, withLag(lag, 0.5, 23)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tc.opts...)
			other := h.deployerClient(t, fastConfig)
			agent, _ := h.newAgent(t, agentSpec{})
			ref := model.ByAppID(agent)
			scope := accessScope(newGUID(t))
			if _, err := createScope(ctxWithTimeout(t, 30*time.Second), h.client, ref, scope); err != nil {
				t.Fatal(err)
			}
			edits := []func(*model.PermissionScope){
				func(s *model.PermissionScope) { s.Value = "renamed_in_portal" },
				func(s *model.PermissionScope) { s.Type = model.ScopeTypeAdmin },
				func(s *model.PermissionScope) { s.AdminConsentDisplayName = "edited in the portal" },
			}
			for i, edit := range edits {
				foreign := scope
				edit(&foreign)
				if _, err := other.UpdateScope(ctxWithTimeout(t, 30*time.Second), ref, foreign); err != nil {
					t.Fatalf("edit %d by the other writer: %v", i, err)
				}
				// The other writer's edit is older than the replication lag (a portal edit some time
				// before the next terraform command): before that, a replica may still show our
				// version, and nobody can tell that read from the truth.
				time.Sleep(2 * tc.lag)
				start := time.Now()
				if _, err := h.client.UpdateScope(ctxWithTimeout(t, 30*time.Second), ref, scope); err != nil {
					t.Fatalf("edit %d: restoring with the long-lived client: %v", i, err)
				}
				t.Logf("edit %d restored in %s", i, time.Since(start).Round(time.Millisecond))
				if d := time.Since(start); d > 15*time.Second {
					t.Errorf("edit %d: restoring took %s", i, d)
				}
				got := h.stored(t, agent)
				found := false
				for _, s := range got.API.OAuth2PermissionScopes {
					if strings.EqualFold(s.ID, scope.ID) {
						found = true
						if deref(s.Value) != scope.Value || deref(s.Type) != scope.Type || !s.IsEnabled || deref(s.AdminConsentDisplayName) != scope.AdminConsentDisplayName {
							t.Fatalf("edit %d: UpdateScope reported success but Graph holds value=%q type=%q enabled=%v adminConsentDisplayName=%q, want %+v", i, deref(s.Value), deref(s.Type), s.IsEnabled, deref(s.AdminConsentDisplayName), scope)
						}
					}
				}
				if !found {
					t.Fatalf("edit %d: scope %s gone", i, scope.ID)
				}
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
