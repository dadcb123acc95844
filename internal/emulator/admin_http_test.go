package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
)

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
		if r.status != c.status || !strings.Contains(string(r.body), c.answer) {
			t.Errorf("%s %s %s = %d %s, want %d with %q", c.method, c.path, c.body, r.status, r.body, c.status, c.answer)
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
