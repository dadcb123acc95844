package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// The session-start decision exists twice: in the emulator (as LKPS) and in the provider
// (lkps.Evaluate, behind lkps_client_authorization). They share no code. This test generates many random
// agent application states and checks, for each, that the provider's verdict — fed from the provider's
// own Graph client — is the emulator's real answer to POST /api/session/start through its Ocelot gateway.

// authzPropertySeed makes the generated states reproducible; a failure names its case number.
const authzPropertySeed = 20261122

// authzCase is one generated state: an agent, its enforcement flag, its api block, and a caller.
type authzCase struct {
	agent   string
	enforce bool
	ghost   bool // the agent's application was deleted after it registered
	scopes  []directory.PermissionScope
	pre     []directory.PreAuthorizedApp
	client  string
}

func (c authzCase) String() string {
	b, _ := json.Marshal(map[string]any{
		"agent": c.agent, "enforce": c.enforce, "ghost": c.ghost, "client": c.client,
		"scopes": c.scopes, "preAuthorizedApplications": c.pre,
	})
	return string(b)
}

func TestAuthorizationDecisionMatchesEmulator(t *testing.T) {
	cases := 300
	if testing.Short() {
		cases = 60
	}
	ts := emulator.NewTestServer(t)
	admin := ts.Admin()
	route := environments.MustLookup(environments.NonProd, environments.EU)

	create := func(name string) string {
		rec, err := admin.CreateApplication(emulator.SeedApplication{DisplayName: name})
		if err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
		return rec.Application.AppID
	}
	var agents, clients []string
	for i := range 4 {
		agents = append(agents, create(fmt.Sprintf("property agent %d", i)))
	}
	for i := range 3 {
		clients = append(clients, create(fmt.Sprintf("property client %d", i)))
	}
	ghostOn, ghostOff := create("deleted agent, enforcing"), create("deleted agent, not enforcing")
	access := append(append(append([]string{ts.DeployerClientID}, agents...), clients...), ghostOn, ghostOff)
	if err := admin.SetAccessList(route.Key(), access); err != nil {
		t.Fatal(err)
	}
	gw := &gateway{t: t, ts: ts, base: ts.LKPSBaseURLs[route.Key()]}
	gw.register(ghostOn, true)
	gw.register(ghostOff, false)
	for _, id := range []string{ghostOn, ghostOff} {
		if err := admin.DeleteApplication(id); err != nil {
			t.Fatal(err)
		}
	}

	// No replication lag in this test: a 404 is final, so no read waits for a replica to catch up.
	graphConfig := graph.Config{Credential: deployerCredential(t, ts), BaseURL: ts.GraphBaseURL, HTTPClient: ts.Client, ReplicationLag: -1}

	rng := rand.New(rand.NewPCG(authzPropertySeed, 1))
	verdicts := map[string]int{}
	for i := range cases {
		c := generateAuthzCase(rng, agents, clients, ghostOn, ghostOff)
		if !c.ghost {
			body, err := json.Marshal(map[string]any{"api": map[string]any{
				"oauth2PermissionScopes": c.scopes, "preAuthorizedApplications": c.pre,
			}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := admin.PatchApplication(c.agent, body); err != nil {
				t.Fatalf("case %d: setting the agent's api: %v\n%s", i, err, c)
			}
			gw.register(c.agent, c.enforce)
		}

		// The provider's side: Graph through the provider's client, then the provider's decision. Every
		// case edits the agent out of band and then reads it, as a new command would: a client of its
		// own, since one client's reads serve its later reads (core.ReadReuse).
		graphClient, err := graph.New(graphConfig)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		app, err := graphClient.GetApplication(ctx, model.ByAppID(c.agent))
		cancel()
		exists := err == nil
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("case %d: reading the agent through Graph: %v", i, err)
		}
		want := lkps.Evaluate(decisionInput(app, exists, c.enforce, c.client))

		// The emulator's side: a real session start by the client through the Ocelot gateway.
		status, failedCheck := gw.startSession(c.client, c.agent)
		gotAuthorized := status == http.StatusOK
		if status != http.StatusOK && status != http.StatusForbidden {
			t.Fatalf("case %d: session start answered %d, want 200 or 403\n%s", i, status, c)
		}
		if gotAuthorized != want.Authorized || failedCheck != want.FailedCheck {
			t.Errorf("case %d: emulator says %d %q, provider says authorized=%t %q (%s)\n%s",
				i, status, failedCheck, want.Authorized, want.FailedCheck, want.Reason, c)
		}
		key := want.FailedCheck
		switch {
		case want.Authorized && !c.enforce:
			key = "authorized (enforcement off)"
		case want.Authorized:
			key = "authorized"
		}
		verdicts[key]++
	}
	t.Logf("%d cases, verdicts: %v", cases, verdicts)
	// The generator must reach every branch of the decision, or the agreement proves little.
	for _, v := range []string{"authorized", "authorized (enforcement off)", lkps.CheckScopeMissing,
		lkps.CheckClientNotPreauthorized, lkps.CheckScopeNotGranted} {
		if verdicts[v] < cases/50 {
			t.Errorf("only %d cases ended %q; the generator does not cover the decision", verdicts[v], v)
		}
	}
}

// generateAuthzCase draws one state. Scope values and pre-authorized client IDs stay unique ignoring
// case; everything else (decoy values, case-changed IDs, disabled scopes, dangling permission IDs) is
// fair game, and so are two entries for the same client (Graph accepts such a list; DESIGN.md says any
// entry that grants the scope counts).
func generateAuthzCase(rng *rand.Rand, agents, clients []string, ghostOn, ghostOff string) authzCase {
	c := authzCase{client: clients[rng.IntN(len(clients))]}
	if rng.IntN(12) == 0 {
		c.ghost, c.agent, c.enforce = true, ghostOn, true
		if rng.IntN(2) == 0 {
			c.agent, c.enforce = ghostOff, false
		}
		return c
	}
	c.agent = agents[rng.IntN(len(agents))]
	c.enforce = rng.IntN(6) != 0

	// access_as_client in two cases out of three; up to two decoys, among them the value in another case
	// (which LKPS must not take for the scope, as it compares exactly).
	var values []string
	if rng.IntN(3) != 0 {
		values = append(values, environments.ClientScopeValue)
	}
	decoys := []string{"access_as_client_v2", "user_impersonation", "read"}
	if len(values) == 0 {
		decoys = append(decoys, "Access_As_Client")
	}
	rng.Shuffle(len(decoys), func(i, j int) { decoys[i], decoys[j] = decoys[j], decoys[i] })
	values = append(values, decoys[:rng.IntN(3)]...)
	rng.Shuffle(len(values), func(i, j int) { values[i], values[j] = values[j], values[i] })
	var accessID, decoyID string
	for _, v := range values {
		id := directory.NewGUID()
		if rng.IntN(5) == 0 {
			id = strings.ToUpper(id)
		}
		if v == environments.ClientScopeValue {
			accessID = id
		} else {
			decoyID = id
		}
		value, kind := v, "User"
		c.scopes = append(c.scopes, directory.PermissionScope{
			ID: id, Value: &value, Type: &kind, IsEnabled: rng.IntN(4) != 0,
		})
	}

	permission := func() string {
		switch n := rng.IntN(6); {
		case n < 2 && accessID != "":
			return accessID
		case n == 2 && accessID != "":
			return flipCase(accessID)
		case n == 3 && decoyID != "":
			return decoyID
		default:
			return directory.NewGUID()
		}
	}
	callerListed := false
	for range rng.IntN(4) {
		appID := directory.NewGUID()
		if (!callerListed && rng.IntN(4) != 0) || (callerListed && rng.IntN(5) == 0) {
			callerListed = true
			appID = c.client
			if rng.IntN(3) == 0 {
				appID = strings.ToUpper(appID)
			}
		}
		var ids []string
		for range rng.IntN(3) {
			ids = append(ids, permission())
		}
		if ids == nil {
			ids = []string{}
		}
		c.pre = append(c.pre, directory.PreAuthorizedApp{AppID: appID, DelegatedPermissionIDs: ids})
	}
	if c.scopes == nil {
		c.scopes = []directory.PermissionScope{}
	}
	if c.pre == nil {
		c.pre = []directory.PreAuthorizedApp{}
	}
	return c
}

// flipCase upper-cases a lower-case GUID and the other way round.
func flipCase(s string) string {
	if s == strings.ToLower(s) {
		return strings.ToUpper(s)
	}
	return strings.ToLower(s)
}

// gateway calls LKPS through the emulator's Ocelot gateway with raw HTTP and tokens minted by the
// emulator, independent of the provider's LKPS client.
type gateway struct {
	t    *testing.T
	ts   *emulator.TestServer
	base string
}

func (g *gateway) post(caller, path string, body any) (int, []byte) {
	g.t.Helper()
	payload, err := json.Marshal(body)
	if err != nil {
		g.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base+path, bytes.NewReader(payload))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+g.ts.LKPSToken(caller, environments.NonProd))
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.ts.Client.Do(req)
	if err != nil {
		g.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		g.t.Fatalf("POST %s: reading the answer: %v", path, err)
	}
	return resp.StatusCode, out
}

// register registers agent with LKPS as the agent.
func (g *gateway) register(agent string, enforce bool) {
	g.t.Helper()
	status, body := g.post(agent, lkps.PathAgentRegister, map[string]any{"service_config": map[string]any{"enforce_client_authz": enforce}})
	if status != http.StatusOK {
		g.t.Fatalf("registering %s: %d %s", agent, status, body)
	}
}

// startSession starts a session as client and returns the status and LKPS's failed_check.
func (g *gateway) startSession(client, agent string) (int, string) {
	g.t.Helper()
	status, body := g.post(client, lkps.PathSessionStart, map[string]any{"agent_entra_app_id": agent})
	var answer struct {
		FailedCheck string `json:"failed_check"`
	}
	if status != http.StatusOK {
		if err := json.Unmarshal(body, &answer); err != nil {
			g.t.Fatalf("session start answered %d with a body that is not JSON: %v", status, err)
		}
	}
	return status, answer.FailedCheck
}

// deployerCredential authenticates as the seed's deployer against the emulator's token service.
func deployerCredential(t *testing.T, ts *emulator.TestServer) azcore.TokenCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(ts.TenantID(), ts.DeployerClientID, ts.DeployerSecret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: ts.AuthorityHost}, Transport: ts.Client},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}
