package emulator_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// An ambiguous write is committed although its answer says otherwise (503, 504) or never comes.
func TestAmbiguousWriteIsCommitted(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	graphTok := clientCredentials(t, ts, ts.DeployerClientID, ts.DeployerSecret, environments.GraphScope)
	agentURL := ts.GraphBaseURL + "/v1.0/applications(appId='" + emulator.DefaultAgentAppID + "')"
	if err := ts.Admin().SetFaults(faults.Config{AmbiguousWriteProbability: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	answers := map[string]int{}
	for i := range 12 {
		name := fmt.Sprintf("ambiguous %d", i)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, agentURL,
			jsonBody(t, map[string]any{"displayName": name}))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+graphTok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := ts.Client.Do(req)
		switch {
		case err != nil:
			answers["dropped"]++
		case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout:
			answers[resp.Status]++
			_ = resp.Body.Close()
		default:
			_ = resp.Body.Close()
			t.Fatalf("PATCH %d answered %s, want 503, 504 or a dropped connection", i, resp.Status)
		}
		rec, err := ts.Admin().Application(emulator.DefaultAgentAppID)
		if err != nil {
			t.Fatal(err)
		}
		if got := *rec.Application.DisplayName; got != name {
			t.Fatalf("after PATCH %d the name is %q: the write was not committed", i, got)
		}
	}
	if len(answers) != 3 {
		t.Fatalf("answers = %v, want all of 503, 504 and dropped", answers)
	}
	if got := ts.Admin().Faults(); got.AmbiguousWriteProbability != 1 {
		t.Fatalf("faults = %+v", got)
	}
}

// The foreign writer edits the application at its rate, keeps others' entries it read, and once
// stopped holds every entry it added and did not remove.
func TestForeignWriterEditsAndSettles(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	admin := ts.Admin()
	scope := "11111111-aaaa-4aaa-8aaa-0000000000a1"
	keep := "22222222-aaaa-4aaa-8aaa-0000000000b2"
	body := `{"api":{"oauth2PermissionScopes":[{"id":"` + scope + `","value":"access_as_client","type":"User","isEnabled":true}],` +
		`"preAuthorizedApplications":[{"appId":"` + keep + `","delegatedPermissionIds":["` + scope + `"]}]}}`
	if _, err := admin.PatchApplication(emulator.DefaultAgentAppID, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := admin.SetFaults(faults.Config{ForeignWriterRate: 100, ForeignWriterApp: emulator.DefaultAgentAppID, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for admin.ForeignWriter().Edits < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("the foreign writer made %d edits in 10 s", admin.ForeignWriter().Edits)
		}
		time.Sleep(20 * time.Millisecond)
	}
	admin.ClearFaults()
	r := admin.ForeignWriter()
	if r.Running || len(r.Present) == 0 || len(r.Removed) == 0 {
		t.Fatalf("report = %+v, want a stopped writer that added and removed entries", r)
	}
	rec, err := admin.Application(emulator.DefaultAgentAppID)
	if err != nil {
		t.Fatal(err)
	}
	entries := rec.Application.API.PreAuthorizedApplications
	has := func(client string) bool {
		for _, e := range entries {
			if strings.EqualFold(e.AppID, client) {
				return true
			}
		}
		return false
	}
	if !has(keep) {
		t.Fatalf("the foreign writer removed an entry that is not its own: %v", entries)
	}
	for _, e := range r.Present {
		if !has(e.ClientAppID) {
			t.Errorf("entry %s it added and kept is missing", e.ClientAppID)
		}
	}
	for _, e := range r.Removed {
		if has(e.ClientAppID) {
			t.Errorf("entry %s it removed is present", e.ClientAppID)
		}
	}
	if n := len(entries); n != 1+len(r.Present) {
		t.Errorf("%d entries, want %d", n, 1+len(r.Present))
	}
}

// The injected 409 speaks Graph's own words.
func TestConflictInGraphWording(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	graphTok := clientCredentials(t, ts, ts.DeployerClientID, ts.DeployerSecret, environments.GraphScope)
	agentURL := ts.GraphBaseURL + "/v1.0/applications(appId='" + emulator.DefaultAgentAppID + "')"
	if err := ts.Admin().SetFaults(faults.Config{ConflictNextWrites: 1}); err != nil {
		t.Fatal(err)
	}
	r := call(t, ts.Client, http.MethodPatch, agentURL, graphTok, "application/json", jsonBody(t, map[string]any{"displayName": "x"}))
	if r.Status != http.StatusConflict {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	e, _ := r.JSON(t)["error"].(map[string]any)
	if e["code"] != "Directory_ConcurrencyViolation" ||
		e["message"] != "Error due to concurrent requests being made to the tenant. Please wait briefly and retry." {
		t.Fatalf("error = %v", e)
	}
}
