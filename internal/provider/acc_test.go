package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// terraformState is the state passed to TestCheckFunc and CheckDestroy.
type terraformState = terraform.State

// accEnv is one acceptance test's world: an emulator of its own (or a live tenant), the agent
// application, client applications, and the provider configuration that reaches them.
type accEnv struct {
	emu           *accEmulator // nil against a live tenant
	agent         string       // the agent's client ID, lower case
	agentObjectID string
	tenantID      string
	clients       []string // client application IDs, lower case

	providerBlock string
	graphBaseURL  string
	httpClient    *http.Client
	credential    azcore.TokenCredential
	// hadDefaultURI is true when the agent had api://<client ID> before the test (a live agent may).
	hadDefaultURI bool
}

// newAccEnv prepares an environment with an agent application and n client applications: an emulator
// of the test's own, or in the live mode (see acc_live_test.go) an agent the test holds alone.
func newAccEnv(t *testing.T, n int) *accEnv {
	t.Helper()
	return newAccEnvFor(t, n, false)
}

// newAccEnvFor is newAccEnv; withSecret asks for the live agent whose client secret is known.
func newAccEnvFor(t *testing.T, n int, withSecret bool) *accEnv {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests run with TF_ACC=1 (make test)")
	}
	if liveMode() {
		return newLiveAccEnv(t, n, withSecret)
	}
	return newEmulatorAccEnv(t, n)
}

// config prepends the provider block to a configuration.
func (e *accEnv) config(body string) string { return e.providerBlock + "\n" + body }

// requireEmulator skips the test against a live tenant: fault injection and deleting applications
// are only possible in the emulator.
func (e *accEnv) requireEmulator(t *testing.T) {
	t.Helper()
	if e.emu == nil {
		t.Skip("needs the emulator (fault injection or out-of-band deletion of applications)")
	}
}

// readApp returns what the directory holds for an application: from the emulator's store itself when
// there is one (independent of the provider's Graph code), else through Graph.
func (e *accEnv) readApp(t *testing.T, appID string) model.Application {
	t.Helper()
	if e.emu != nil {
		return e.emu.application(t, appID)
	}
	app, err := e.outOfBand(t).client.GetApplication(context.Background(), model.ByAppID(appID))
	if err != nil {
		t.Fatalf("reading %s: %v", appID, err)
	}
	return app
}

// checkNoClientScope is a CheckDestroy: the agent has no access_as_client scope and no entry refers to
// the stable scope ID.
func (e *accEnv) checkNoClientScope(t *testing.T) resource.TestCheckFunc {
	return func(*terraformState) error {
		app := e.readApp(t, e.agent)
		if s, ok := app.ScopeByValue("access_as_client"); ok {
			return fmt.Errorf("access_as_client scope %s still exists after destroy", s.ID)
		}
		for _, p := range app.PreAuthorized {
			if containsFold(p.DelegatedPermissionIDs, stableScopeID(e.agent)) {
				return fmt.Errorf("pre-authorized entry of %s still refers to the destroyed scope", p.AppID)
			}
		}
		return nil
	}
}

// preauthorizedExactly checks that the clients with an entry holding scopeID (any entry when scopeID
// is empty) are exactly clients.
func (e *accEnv) preauthorizedExactly(t *testing.T, clients []string, scopeID string) error {
	t.Helper()
	var got []string
	for _, p := range e.readApp(t, e.agent).PreAuthorized {
		if scopeID == "" || containsFold(p.DelegatedPermissionIDs, scopeID) {
			got = append(got, strings.ToLower(p.AppID))
		}
	}
	want := make([]string, len(clients))
	for i, c := range clients {
		want[i] = strings.ToLower(c)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("pre-authorized clients (scope %q): got %d %v, want %d %v", scopeID, len(got), got, len(want), want)
	}
	return nil
}

// unmanagedUnchanged checks that everything the tests' resources do not manage is exactly as in before:
// other scopes, other identifier URIs, and pre-authorized entries (less the managed scope ID). When
// managedPresent is false, the managed scope and URI must be gone too.
func (e *accEnv) unmanagedUnchanged(t *testing.T, before model.Application, managedPresent bool) error {
	t.Helper()
	now := e.readApp(t, e.agent)
	managedScope := stableScopeID(e.agent)
	managedURI := "api://" + e.agent
	strip := func(a model.Application) (scopes []model.PermissionScope, uris []string, pre []model.PreAuthorizedApplication) {
		for _, s := range a.Scopes {
			if !strings.EqualFold(s.ID, managedScope) {
				scopes = append(scopes, s)
			}
		}
		for _, u := range a.IdentifierURIs {
			if !strings.EqualFold(u, managedURI) {
				uris = append(uris, u)
			}
		}
		for _, p := range a.PreAuthorized {
			var ids []string
			for _, id := range p.DelegatedPermissionIDs {
				if !strings.EqualFold(id, managedScope) {
					ids = append(ids, id)
				}
			}
			if len(ids) > 0 {
				pre = append(pre, model.PreAuthorizedApplication{AppID: p.AppID, DelegatedPermissionIDs: ids})
			}
		}
		return scopes, uris, pre
	}
	bs, bu, bp := strip(before)
	ns, nu, np := strip(now)
	if !reflect.DeepEqual(bs, ns) {
		return fmt.Errorf("unmanaged scopes changed:\nbefore %+v\nnow    %+v", bs, ns)
	}
	if !reflect.DeepEqual(bu, nu) {
		return fmt.Errorf("unmanaged identifier URIs changed: before %v, now %v", bu, nu)
	}
	if !reflect.DeepEqual(bp, np) {
		return fmt.Errorf("unmanaged pre-authorizations changed:\nbefore %+v\nnow    %+v", bp, np)
	}
	_, hasScope := now.Scope(managedScope)
	if hasScope != managedPresent {
		return fmt.Errorf("managed scope present = %v, want %v", hasScope, managedPresent)
	}
	return nil
}

// startWatchingScope and scopeNeverDisabled check that an update never disabled the scope, by
// looking at every version of the application the emulator stored in between.
func (e *accEnv) startWatchingScope(t *testing.T) {
	t.Helper()
	if e.emu != nil {
		e.emu.markHistory(t, e.agent)
	}
}

func (e *accEnv) scopeNeverDisabled(t *testing.T) error {
	t.Helper()
	if e.emu == nil {
		return nil // a live tenant keeps no history to look at
	}
	for _, app := range e.emu.historySinceMark(t) {
		if s, ok := app.Scope(stableScopeID(e.agent)); ok && !s.Enabled {
			return fmt.Errorf("the scope was disabled during an update of its texts")
		}
	}
	return nil
}

// outOfBand edits applications the way a person in the portal or another tool would: through Graph,
// with its own client (so the provider's in-process state knows nothing of it).
type outOfBand struct {
	client *graph.Client
}

// outOfBand returns a new Graph client each time: every portal edit is a session of its own, which
// remembers nothing of the previous edits (nor of the provider's writes).
func (e *accEnv) outOfBand(t *testing.T) *outOfBand {
	t.Helper()
	c, err := graph.New(graph.Config{Credential: e.credential, BaseURL: e.graphBaseURL, HTTPClient: e.httpClient})
	if err != nil {
		t.Fatal(err)
	}
	return &outOfBand{client: c}
}

func (o *outOfBand) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

// errOf is the error of a Graph call's answer.
func errOf(results ...any) error {
	if err, ok := results[len(results)-1].(error); ok {
		return err
	}
	return nil
}

// edit makes one out-of-band change (change, within the edit's timeout); a failure, named what, fails the test.
func (o *outOfBand) edit(t *testing.T, what string, change func(context.Context) error) {
	t.Helper()
	ctx, cancel := o.ctx()
	defer cancel()
	if err := change(ctx); err != nil {
		t.Fatalf("out-of-band %s: %v", what, err)
	}
}

func (o *outOfBand) createScope(t *testing.T, appID string, s model.PermissionScope) {
	t.Helper()
	o.edit(t, "scope creation", func(ctx context.Context) error { return errOf(o.client.ExposeScope(ctx, model.ByAppID(appID), "", s)) })
}

func (o *outOfBand) scope(t *testing.T, appID, scopeID string) model.PermissionScope {
	t.Helper()
	ctx, cancel := o.ctx()
	defer cancel()
	app, found, err := o.client.GetApplicationExpecting(ctx, model.ByAppID(appID), func(app model.Application) bool {
		_, ok := app.Scope(scopeID)
		return ok
	})
	if err != nil || !found {
		t.Fatalf("out-of-band scope read: found %t, %v", found, err)
	}
	s, _ := app.Scope(scopeID)
	return s
}

func (o *outOfBand) updateScope(t *testing.T, appID string, s model.PermissionScope) {
	t.Helper()
	o.edit(t, "scope update", func(ctx context.Context) error { return errOf(o.client.UpdateScope(ctx, model.ByAppID(appID), s)) })
}

func (o *outOfBand) deleteScope(t *testing.T, appID, scopeID string) {
	t.Helper()
	o.edit(t, "scope deletion", func(ctx context.Context) error {
		return errOf(o.client.DeleteScopeAndURI(ctx, model.ByAppID(appID), scopeID, ""))
	})
}

func (o *outOfBand) ensureIdentifierURI(t *testing.T, appID, uri string) {
	t.Helper()
	o.edit(t, "identifier URI", func(ctx context.Context) error {
		return errOf(o.client.EnsureIdentifierURI(ctx, model.ByAppID(appID), uri))
	})
}

func (o *outOfBand) removeIdentifierURI(t *testing.T, appID, uri string) {
	t.Helper()
	o.edit(t, "identifier URI removal", func(ctx context.Context) error {
		return errOf(o.client.RemoveIdentifierURI(ctx, model.ByAppID(appID), uri))
	})
}

func (o *outOfBand) addPreAuthorization(t *testing.T, appID, clientID, scopeID string) {
	t.Helper()
	o.edit(t, "pre-authorization", func(ctx context.Context) error {
		return errOf(o.client.AddPreAuthorization(ctx, model.ByAppID(appID), clientID, scopeID))
	})
}

func (o *outOfBand) removePreAuthorization(t *testing.T, appID, clientID, scopeID string) {
	t.Helper()
	o.edit(t, "pre-authorization removal", func(ctx context.Context) error {
		return o.client.RemovePreAuthorization(ctx, model.ByAppID(appID), clientID, scopeID)
	})
}

// envInt reads a positive integer from the environment, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// cloudFor returns azidentity client options for an authority host.
func cloudFor(authority string) cloud.Configuration {
	return cloud.Configuration{ActiveDirectoryAuthorityHost: authority}
}
