package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// runSeed is `lkps-emulator seed`: it prints a seed document (the --seed file) holding the caller's own
// agent and client IDs, so that a test of a user's configuration runs against the emulator with the IDs
// the configuration names, without hand-written JSON.
func runSeed(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lkps-emulator seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: lkps-emulator seed --agent <client id> [--client <client id>]... [flags] > seed.json

Prints a seed file for "lkps-emulator --seed seed.json" with your own IDs: a deployer (the identity the
emulator exports as ARM_CLIENT_ID) holding Application.ReadWrite.OwnedBy and owning every agent, each
--agent as an app registration with the client secret --agent-secret, and each --client as a client
application with the client secret --client-secret. All of them are on the Client Access List of every
LKPS route; nothing is registered with LKPS and no agent exposes a scope yet. The secrets are test values
that exist only inside the emulator.

Example:
  lkps-emulator seed --agent 0f3c...e1 --client 5a2b...9c --client 77d1...04 > seed.json
  lkps-emulator --seed seed.json --env-file emulator.env &

Flags:
`)
		fs.PrintDefaults()
	}
	var agents, clients, federated listFlag
	fs.Var(&agents, "agent", "client `id` of an agent's app registration, owned by the deployer (repeat for several agents; at least one)")
	fs.Var(&clients, "client", "client `id` of a client application that starts sessions (repeat for several clients)")
	deployer := fs.String("deployer", emulator.DefaultDeployerAppID, "client `id` of the deployer, exported as ARM_CLIENT_ID")
	deployerSecret := fs.String("deployer-secret", emulator.DefaultDeployerSecret, "client `secret` of the deployer, exported as ARM_CLIENT_SECRET")
	agentSecret := fs.String("agent-secret", emulator.DefaultAgentSecret, "client `secret` of every agent (what the configuration passes to agent_client_secret_wo)")
	clientSecret := fs.String("client-secret", emulator.DefaultClientSecret, "client `secret` of every client")
	fs.Var(&federated, "federated", "`name=subject`: serve a test OIDC issuer at /oidc/<name> (its request URL and token exported as LKPS_EMULATOR_OIDC_<NAME>_REQUEST_URL and _TOKEN) and trust its tokens with that subject "+
		"(audience api://AzureADTokenExchange) as the deployer's federated credential, e.g. "+
		"github=repo:my-org/my-agent:environment:prod (repeatable)")
	azureDevOps := fs.String("azure-devops", "", "`organization/project/service-connection`: serve an Azure DevOps issuer at /oidc/azure-devops with that service connection "+
		"(Azure Pipelines' SYSTEM_OIDCREQUESTURI, SYSTEM_ACCESSTOKEN and the connection's ID exported as LKPS_EMULATOR_OIDC_AZURE_DEVOPS_REQUEST_URL, _REQUEST_TOKEN and _SERVICE_CONNECTION_ID) "+
		"and trust its tokens (subject sc://organization/project/service-connection) as the deployer's federated credential")
	output := fs.String("o", "", "write the seed to this `file` instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("seed: unexpected arguments %q (run lkps-emulator seed --help)", fs.Args())
	}
	seed, err := buildSeed(*deployer, *deployerSecret, agents, *agentSecret, clients, *clientSecret, federated, *azureDevOps)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	doc, err := json.MarshalIndent(seed, "", "  ")
	if err != nil {
		return err
	}
	doc = append(doc, '\n')
	// What the emulator would refuse at start is refused here.
	if _, err := emulator.ParseSeed(doc); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if *output != "" {
		return os.WriteFile(*output, doc, 0o600)
	}
	_, err = stdout.Write(doc)
	return err
}

// buildSeed lays out the seed of runSeed; every ID must be a GUID and appear once.
func buildSeed(deployer, deployerSecret string, agents []string, agentSecret string, clients []string, clientSecret string, federated []string, azureDevOps string) (*emulator.Seed, error) {
	if len(agents) == 0 {
		return nil, errors.New("at least one --agent <client id> is required")
	}
	var errs []error
	seen := map[string]string{}
	id := func(kind, v string) string {
		l := strings.ToLower(strings.TrimSpace(v))
		if !directory.IsGUID(l) {
			errs = append(errs, fmt.Errorf("--%s %q is not a client ID (a GUID such as 0f3c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b)", kind, v))
		} else if prev, ok := seen[l]; ok {
			errs = append(errs, fmt.Errorf("%s is given as --%s and as --%s; each application appears once", l, prev, kind))
		}
		seen[l] = kind
		return l
	}
	for name, v := range map[string]string{"deployer-secret": deployerSecret, "agent-secret": agentSecret, "client-secret": clientSecret} {
		if v == "" {
			errs = append(errs, fmt.Errorf("--%s must not be empty", name))
		}
	}
	dep := emulator.SeedApplication{
		AppID: id("deployer", deployer), DisplayName: "Terraform deployer", Deployer: true,
		Secrets:    []emulator.SeedSecret{{Value: deployerSecret, DisplayName: "emulator"}},
		GraphRoles: []string{"Application.ReadWrite.OwnedBy"},
	}
	var issuers []emulator.SeedIssuer
	for _, f := range federated {
		name, subject, ok := strings.Cut(f, "=")
		if !ok || name == "" || subject == "" {
			errs = append(errs, fmt.Errorf("--federated %q: want name=subject, e.g. github=repo:my-org/my-agent:ref:refs/heads/main", f))
			continue
		}
		token, err := requestToken()
		if err != nil {
			return nil, err
		}
		issuers = append(issuers, emulator.SeedIssuer{Name: name, DefaultSubject: subject, RequestToken: token})
		dep.FederatedCredentials = append(dep.FederatedCredentials, directory.FederatedCredential{
			Name: name, Issuer: "/oidc/" + name, Subject: subject, Audiences: []string{entra.FederatedAudience},
		})
	}
	if azureDevOps != "" {
		parts := strings.Split(azureDevOps, "/")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			errs = append(errs, fmt.Errorf("--azure-devops %q: want organization/project/service-connection, e.g. my-org/my-project/lkps-deployer", azureDevOps))
		} else {
			token, err := requestToken()
			if err != nil {
				return nil, err
			}
			sc := emulator.SeedServiceConnection{ID: directory.NewGUID(), Project: parts[1], Name: parts[2]}
			issuers = append(issuers, emulator.SeedIssuer{
				Name: "azure-devops", Kind: entra.IssuerKindAzureDevOps, Organization: parts[0], RequestToken: token,
				ServiceConnections: []emulator.SeedServiceConnection{sc},
			})
			dep.FederatedCredentials = append(dep.FederatedCredentials, directory.FederatedCredential{
				Name: "azure-devops", Issuer: "/oidc/azure-devops", Subject: "sc://" + azureDevOps, Audiences: []string{entra.FederatedAudience},
			})
		}
	}
	apps := []emulator.SeedApplication{dep}
	all := []string{dep.AppID}
	for i, a := range agents {
		app := emulator.SeedApplication{
			AppID: id("agent", a), DisplayName: fmt.Sprintf("agent %d", i+1), Owners: []string{dep.AppID},
			Secrets: []emulator.SeedSecret{{Value: agentSecret, DisplayName: "emulator"}},
		}
		apps = append(apps, app)
		all = append(all, app.AppID)
	}
	for i, c := range clients {
		app := emulator.SeedApplication{
			AppID: id("client", c), DisplayName: fmt.Sprintf("client %d", i+1),
			Secrets: []emulator.SeedSecret{{Value: clientSecret, DisplayName: "emulator"}},
		}
		apps = append(apps, app)
		all = append(all, app.AppID)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	lists := map[string][]string{}
	for _, e := range environments.All() {
		lists[e.Key()] = append([]string{}, all...)
	}
	return &emulator.Seed{
		VerifiedDomains: []string{"bayer.com"}, FederatedIssuers: issuers, Applications: apps, OcelotAccessLists: lists,
	}, nil
}

// requestToken is a random bearer token for an issuer's token endpoint, fixed in the seed so that the
// exports (LKPS_EMULATOR_OIDC_<NAME>_REQUEST_TOKEN) stay the same across restarts.
func requestToken() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("request token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
