// Package emulator is lkps-emulator: a local, strict stand-in for Entra ID (token service), Microsoft
// Graph (the applications API), the Ocelot gateway and LKPS, served over HTTPS on one loopback listener.
//
// URL layout (one port, one certificate, told apart by path prefix):
//
//	/{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/oauth2/v2.0/token, /{tenant}/discovery/v2.0/keys
//	                                     Entra ID token service (authority host = the base URL)
//	/oidc/{issuer}/...                   test OIDC issuers for federated credentials
//	/metadata/endpoints?api-version=...  Azure cloud metadata document
//	/graph/v1.0/applications...          Microsoft Graph (Graph base URL = <base>/graph)
//	/lkps/{environment}/{region}/api/... Ocelot route + LKPS (LKPS base URL = <base>/lkps/<env>/<region>)
//	/_emulator/...                       admin API (loopback callers only)
//
// Start runs a server; NewTestServer starts an isolated one per test.
//
// One concern per file:
//
//	server.go            Config, Server: building the parts, the listener, accessors, Close
//	router.go            the one route table: every part's pattern, its counter name, latency; request logging
//	metadata.go          the Azure cloud metadata document (/metadata/endpoints)
//	adapters.go          the views of the directory that entra, graphapi and lkpsapi read
//	seed.go              the seed file (Seed, DefaultSeed) and its conversion into the initial state
//	state.go             the state file: State, LoadState, SaveState, the periodic save, the initial state
//	tls.go               the CA and the server certificate
//	memory.go            in-memory mode (Config.InMemory): a transport instead of a listener
//	foreign.go           the foreign writer (faults.Config.ForeignWriterRate)
//	env.go               the environment variables that point the provider and curl at a server
//	testserver.go        NewTestServer and its options, for Go tests
//	admin.go             the admin API from Go: state, reset, faults, counters, LKPS answers
//	admin_directory.go   the admin API's out-of-band edits of applications and the app management policy
//	admin_tokens.go      the admin API's tokens: MintToken, MintUserToken
//	admin_http.go        the admin API over HTTP (/_emulator/...)
//
// The services themselves live in subpackages: directory (the tenant's objects, replicas, deleted items),
// entra (token service, OIDC issuers), graphapi (Microsoft Graph), lkpsapi (Ocelot and LKPS), faults (the
// fault injector), counters (the one request counter), jsonhttp (the services' JSON answers);
// contracttest holds the contract tests with Microsoft's SDKs and emutest the helpers the emulator's
// tests share.
package emulator
