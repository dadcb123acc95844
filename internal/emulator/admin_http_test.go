package emulator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

func TestAdminAPIOverHTTP(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	admin := ts.URL + "/_emulator"

	r := call(t, ts.Client, http.MethodPost, admin+"/applications", "", "application/json", strings.NewReader(`{"displayName":"oob","secrets":[{"value":"oob-secret"}],"owners":["`+emulator.DefaultDeployerAppID+`"]}`))
	if r.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "oob-secret") {
		t.Fatal("admin API response contains a secret value")
	}
	appID := str(t, obj(t, r.JSON(t)["application"]), "appId")
	if r := call(t, ts.Client, http.MethodPatch, admin+"/applications/"+appID, "", "application/json", strings.NewReader(`{"notes":"patched"}`)); r.Status != http.StatusOK {
		t.Fatalf("patch = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodPost, admin+"/applications/"+appID+"/graph-roles", "", "application/json", strings.NewReader(`{"roles":["Application.Read.All"]}`)); r.Status != http.StatusOK {
		t.Fatalf("grant = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodPut, admin+"/access-lists/prod/us", "", "application/json", strings.NewReader(`{"appIds":["`+appID+`"]}`)); r.Status != http.StatusOK {
		t.Fatalf("access list = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodPut, admin+"/faults", "", "application/json", strings.NewReader(`{"throttleNext":1,"retryAfterSeconds":2,"replicaLag":"1s"}`)); r.Status != http.StatusOK {
		t.Fatalf("faults = %d %s", r.Status, r.Body)
	}
	if f := ts.Admin().Faults(); f.ThrottleNext != 1 || f.ReplicaLag != time.Second {
		t.Fatalf("faults not applied: %+v", f)
	}
	if r := call(t, ts.Client, http.MethodPut, admin+"/faults", "", "application/json", strings.NewReader(`{"throttleProbability":2}`)); r.Status != http.StatusBadRequest {
		t.Fatalf("invalid faults = %d", r.Status)
	}
	r = call(t, ts.Client, http.MethodGet, admin+"/state", "", "", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "patched") || strings.Contains(string(r.Body), emulator.DefaultDeployerSecret) {
		t.Fatalf("state = %d (secret redacted? %v)", r.Status, !strings.Contains(string(r.Body), emulator.DefaultDeployerSecret))
	}
	r = call(t, ts.Client, http.MethodPost, admin+"/tokens", "", "application/json", strings.NewReader(`{"appId":"`+appID+`","audience":"https://graph.microsoft.com"}`))
	if r.Status != http.StatusOK {
		t.Fatalf("token = %d %s", r.Status, r.Body)
	}
	tok := str(t, r.JSON(t), "access_token")
	// The token carries the granted role: the out-of-band app can read.
	ts.Admin().ClearFaults()
	if r := call(t, ts.Client, http.MethodGet, ts.GraphBaseURL+"/v1.0/applications(appId='"+emulator.DefaultAgentAppID+"')", tok, "", nil); r.Status != http.StatusOK {
		t.Fatalf("read with granted role = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodGet, admin+"/counters", "", "", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), graphapi.RouteGetApplication) {
		t.Fatalf("counters = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodPost, admin+"/reset", "", "", nil); r.Status != http.StatusNoContent {
		t.Fatalf("reset = %d %s", r.Status, r.Body)
	}
	if _, err := ts.Admin().Application(appID); err == nil {
		t.Fatal("reset kept an out-of-band application")
	}
	if len(ts.Admin().Counters()) != 0 {
		t.Fatal("reset kept counters")
	}
	if r := call(t, ts.Client, http.MethodDelete, admin+"/applications/"+emulator.DefaultClientAppID, "", "", nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodDelete, admin+"/applications/"+emulator.DefaultClientAppID, "", "", nil); r.Status != http.StatusNotFound {
		t.Fatalf("second delete = %d %s", r.Status, r.Body)
	}
}

// Every admin route over HTTP that TestAdminAPIOverHTTP does not take, in order, with its status and a
// piece of its answer; then the state each change left.
func TestAdminAPIRoutes(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	if err := ts.Admin().SetFaults(faults.Config{ThrottleNext: 3}); err != nil {
		t.Fatal(err)
	}
	agent := "/applications/" + emulator.DefaultAgentAppID
	for _, c := range []struct {
		method, path, body string
		status             int
		answer             string
	}{
		{http.MethodGet, "/faults", "", http.StatusOK, `"throttleNext": 3`},
		{http.MethodDelete, "/faults", "", http.StatusNoContent, ""},
		{http.MethodPut, "/faults", `{"latency":"soon"}`, http.StatusBadRequest, "latency: "},
		{http.MethodPut, "/faults", `{"throttleNxt":1}`, http.StatusBadRequest, "unknown field"},
		{http.MethodGet, "/foreign-writer", "", http.StatusOK, `"running": false`},
		{http.MethodPost, "/save", "", http.StatusConflict, "no state file configured"},
		{http.MethodGet, agent, "", http.StatusOK, emulator.DefaultAgentAppID},
		{http.MethodDelete, "/counters", "", http.StatusNoContent, ""},
		{http.MethodPost, agent + "/graph-roles", `{"roles":["Application.Read.All"]}`, http.StatusOK, "Application.Read.All"},
		{http.MethodDelete, agent + "/graph-roles", `{"roles":["application.read.all"]}`, http.StatusOK, emulator.DefaultAgentAppID},
		{http.MethodPost, agent + "/owners", `{"owners":["` + emulator.DefaultClientAppID + `"]}`, http.StatusOK, emulator.DefaultAgentAppID},
		{http.MethodPost, agent + "/owners", `{"owners":["nobody"]}`, http.StatusBadRequest, "not an appId of the directory"},
		{http.MethodPost, "/applications/00000000-0000-4000-8000-00000000dead/owners", `{"owners":[]}`, http.StatusNotFound, "not found"},
		{http.MethodPut, "/lkps/register-answer", `{"timestampFormat":"unix"}`, http.StatusOK, `"timestampFormat": "unix"`},
		{http.MethodPut, "/lkps/register-answer", `{"timestampFormat":"sometime"}`, http.StatusBadRequest, "timestamp"},
		{http.MethodDelete, "/lkps/register-answer", "", http.StatusNoContent, ""},
		{http.MethodPut, "/lkps/proxy-page", `{"status":502,"contentType":"text/html","body":"<html>bad gateway</html>","count":1}`, http.StatusOK, "bad gateway"},
		{http.MethodPut, "/lkps/proxy-page", `{"status":502,"count":-1}`, http.StatusBadRequest, "count must not be negative"},
		{http.MethodDelete, "/lkps/proxy-page", "", http.StatusNoContent, ""},
	} {
		r := call(t, ts.Client, c.method, ts.URL+"/_emulator"+c.path, "", "application/json", strings.NewReader(c.body))
		if r.Status != c.status || !strings.Contains(string(r.Body), c.answer) {
			t.Errorf("%s %s %s = %d %s, want %d with %q", c.method, c.path, c.body, r.Status, r.Body, c.status, c.answer)
		}
	}
	if f := ts.Admin().Faults(); f != (faults.Config{}) {
		t.Errorf("faults after DELETE = %+v", f)
	}
	if n := len(ts.Admin().Counters()); n != 0 {
		t.Errorf("counters after DELETE = %v", ts.Admin().Counters())
	}
	rec, err := ts.Admin().Application(emulator.DefaultAgentAppID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.HasGraphRole("Application.Read.All") {
		t.Error("the revoked role is still granted")
	}
	client, err := ts.Admin().Application(emulator.DefaultClientAppID)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.IsOwner(client.ServicePrincipalID) {
		t.Errorf("owners = %v, want the client's service principal %s", rec.Owners, client.ServicePrincipalID)
	}
}
