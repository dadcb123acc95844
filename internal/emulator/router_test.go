package emulator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// Every route the emulator serves is registered in router.go: no other non-test file of the emulator
// builds a ServeMux or registers a handler, and Graph's operations are built only by graphapi's dispatch
// (functions named dispatch* and *Operation, called from routes.go's dispatch), so no path can skip
// counting, latency and faults. The
// admin API's sub-routes (admin_http.go) are the one exception: they are mounted by the router under
// /_emulator/ and are the emulator's control plane, neither counted nor faulted.
func TestRoutesAreRegisteredOnlyInTheRouter(t *testing.T) {
	allowed := map[string]bool{"router.go": true, "admin_http.go": true}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		fn := ""
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				fn = n.Name.Name
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				switch sel.Sel.Name {
				case "NewServeMux", "Handle", "HandleFunc":
					if filepath.Dir(path) != "." || !allowed[filepath.Base(path)] {
						t.Errorf("%s: %s registers a route outside the router (router.go)", fset.Position(n.Pos()), sel.Sel.Name)
					}
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "operation" &&
					(filepath.Dir(path) != "graphapi" || !strings.HasPrefix(fn, "dispatch") && !strings.HasSuffix(fn, "Operation")) {
					t.Errorf("%s: a Graph operation built in %s, outside the dispatch (dispatch*, *Operation)", fset.Position(n.Pos()), fn)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The package documentation (doc.go) names every non-test file of the package with its concern, and no
// file that is gone.
func TestDocListsEveryFile(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	listed := regexp.MustCompile(`(?m)^\s+([a-z_]+\.go)\s+\S`).FindAllStringSubmatch(f.Doc.Text(), -1)
	names := make([]string, 0, len(listed))
	for _, m := range listed {
		names = append(names, m[1])
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && n != "doc.go" {
			files = append(files, n)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, files) {
		t.Errorf("doc.go lists %v, the package has %v", names, files)
	}
}

// Every part is counted under its route and every Graph route is delayed by the latency fault and
// subject to the fault decisions — the owned-objects listing too, which once bypassed them.
func TestRouterCountsAndDelaysEveryGraphRoute(t *testing.T) {
	ts := NewTestServer(t)
	tok := ts.GraphToken(ts.DeployerClientID)
	dep, _ := ts.Seed().Deployer()
	get := func(path string) (status int) {
		t.Helper()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+path, nil)
		req.RequestURI = ""
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := ts.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	rec, err := ts.Admin().Application(DefaultAgentAppID)
	if err != nil {
		t.Fatal(err)
	}
	depRec, err := ts.Directory().GetByAppID(dep.AppID, directory.Primary)
	if err != nil {
		t.Fatal(err)
	}
	spID := depRec.ServicePrincipalID
	graphRoutes := map[string]string{
		"/graph/v1.0/applications/" + rec.Application.ID:                                      graphapi.RouteGetApplication,
		"/graph/v1.0/applications(appId='" + DefaultAgentAppID + "')":                         graphapi.RouteGetApplication,
		"/graph/v1.0/applications?$filter=appId eq '" + DefaultAgentAppID + "'":               graphapi.RouteListApplications,
		"/graph/v1.0/servicePrincipals(appId='" + DefaultAgentAppID + "')":                    graphapi.RouteGetServicePrincipal,
		"/graph/v1.0/servicePrincipals?$filter=appId eq '" + DefaultAgentAppID + "'":          graphapi.RouteListServicePrincipals,
		"/graph/v1.0/servicePrincipals/" + spID + "/ownedObjects/microsoft.graph.application": graphapi.RouteListOwnedApplications,
	}
	const latency = 40 * time.Millisecond
	if err := ts.Admin().SetFaults(faults.Config{Latency: latency}); err != nil {
		t.Fatal(err)
	}
	for path, route := range graphRoutes {
		ts.Admin().ResetCounters()
		start := time.Now()
		status := get(strings.ReplaceAll(path, " ", "%20"))
		if took := time.Since(start); took < latency {
			t.Errorf("GET %s took %s, less than the %s latency", path, took, latency)
		}
		if status != http.StatusOK {
			t.Errorf("GET %s: %d", path, status)
		}
		if got := ts.Admin().Counters(); got[route] != 1 || len(got) != 1 {
			t.Errorf("GET %s counted %v, want one %q", path, got, route)
		}
	}
	// The fault decisions reach every Graph route too.
	for path := range graphRoutes {
		if err := ts.Admin().SetFaults(faults.Config{ThrottleNext: 1}); err != nil {
			t.Fatal(err)
		}
		if status := get(strings.ReplaceAll(path, " ", "%20")); status != http.StatusTooManyRequests {
			t.Errorf("GET %s with throttleNext 1: %d, want 429", path, status)
		}
	}
	ts.Admin().ClearFaults()

	// The other parts: counted, not delayed (the faults model Graph).
	ts.Admin().ResetCounters()
	get("/metadata/endpoints?api-version=2022-09-01")
	get("/" + ts.TenantID() + "/v2.0/.well-known/openid-configuration")
	get("/lkps/nonprod/eu/api/health")
	get("/_emulator/counters")
	got := ts.Admin().Counters()
	for _, c := range []string{CounterMetadata, CounterEntraDiscovery, CounterLKPSHealth} {
		if got[c] != 1 {
			t.Errorf("counters = %v, want one %q", got, c)
		}
	}
	if len(got) != 3 {
		t.Errorf("counters = %v: the admin API is not counted", got)
	}
}
