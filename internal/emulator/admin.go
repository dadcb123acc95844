package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
)

// Admin is the emulator's control surface, used directly from Go tests and over HTTP under /_emulator/.
// Out-of-band edits bypass Graph's validation rules (but not the directory's uniqueness of ids and
// identifier URIs), so tests can build states a client could not, such as a dangling pre-authorization.
type Admin struct{ s *Server }

// State returns the emulator's complete state.
func (a *Admin) State() State {
	lists, regs, audit := stateFromLKPS(a.s.lkps.State())
	return State{
		Version: stateFormatVersion, SavedAt: a.s.cfg.Now().UTC(),
		Directory: a.s.dir.Snapshot(), AccessLists: lists, Registrations: regs, Audit: audit,
	}
}

// Reset returns the directory and LKPS to the seed, turns every fault off and zeroes the counters.
func (a *Admin) Reset() error {
	st, err := a.s.seedState()
	if err != nil {
		return err
	}
	if err := a.s.dir.Restore(st.Directory); err != nil {
		return fmt.Errorf("reset directory: %w", err)
	}
	a.s.lkps.Restore(st.lkps())
	_ = a.s.lkps.SetRegisterAnswer(lkpsapi.RegisterAnswer{})
	_ = a.s.lkps.SetProxyPage(nil)
	a.s.faults.Clear()
	a.s.ResetCounters()
	return nil
}

// Faults returns the current fault configuration.
func (a *Admin) Faults() faults.Config { return a.s.faults.Config() }

// SetFaults replaces the fault configuration.
func (a *Admin) SetFaults(cfg faults.Config) error { return a.s.faults.Set(cfg) }

// ForeignWriter reports what the foreign writer (faults.Config.ForeignWriterRate) did since it was
// last started. Setting a configuration without the rate stops it; it then re-applies its own entries
// that another writer overwrote, so every entry in Present is in the directory.
func (a *Admin) ForeignWriter() ForeignWriterReport { return a.s.foreign.report() }

// Injected returns how many faults of each kind were injected since the server started.
func (a *Admin) Injected() map[string]int64 { return a.s.faults.Injected() }

// ClearFaults turns every fault off.
func (a *Admin) ClearFaults() { a.s.faults.Clear() }

// Counters returns the per-route request counters.
func (a *Admin) Counters() map[string]int64 { return a.s.Counters() }

// Counter returns one route's request counter (graphapi.Route* or the Counter* constants).
func (a *Admin) Counter(route string) int64 { return a.s.Counters()[route] }

// ResetCounters zeroes the request counters.
func (a *Admin) ResetCounters() { a.s.ResetCounters() }

// CreateApplication adds an application described like a seed application; empty ids are generated.
// Owners given as appIds of existing applications are resolved to their service principals.
func (a *Admin) CreateApplication(app SeedApplication) (*directory.Record, error) {
	for _, id := range []*string{&app.AppID, &app.ObjectID, &app.ServicePrincipalID} {
		if *id == "" {
			*id = directory.NewGUID()
		} else if !directory.IsGUID(*id) {
			return nil, fmt.Errorf("create application: %q is not a GUID", *id)
		}
		*id = strings.ToLower(*id)
	}
	owners := map[string]string{}
	for _, o := range app.Owners {
		if rec, err := a.s.dir.GetByAppID(o, directory.Primary); err == nil {
			owners[strings.ToLower(o)] = rec.ServicePrincipalID
		}
	}
	rec, err := app.record(a.s.cfg.Now(), owners)
	if err != nil {
		return nil, fmt.Errorf("create application %q: %w", app.DisplayName, err)
	}
	rec.UpdatedAt = time.Time{}
	created, err := a.s.dir.Create(rec)
	if err != nil {
		return nil, fmt.Errorf("create application %q: %w", app.DisplayName, err)
	}
	return created, nil
}

// Application returns the latest state of an application by appId or object id.
func (a *Admin) Application(id string) (*directory.Record, error) {
	rec, err := a.s.dir.Lookup(ref(id), directory.Primary)
	if errors.Is(err, directory.ErrNotFound) {
		rec, err = a.s.dir.Lookup(directory.Ref{AppID: id}, directory.Primary)
	}
	if err != nil {
		return nil, fmt.Errorf("application %s: %w", id, err)
	}
	return rec, nil
}

// DeleteApplication removes an application by appId or object id at once: unlike Graph's DELETE it does not
// keep it in the deleted items, so a test can re-create its identifier URIs.
func (a *Admin) DeleteApplication(id string) error {
	rec, err := a.Application(id)
	if err != nil {
		return err
	}
	if err := a.s.dir.HardDelete(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary); err != nil {
		return fmt.Errorf("delete application %s: %w", id, err)
	}
	return nil
}

// PatchApplication merges a Graph PATCH body into an application (by appId or object id) without Graph's
// validation rules.
func (a *Admin) PatchApplication(id string, body []byte) (*directory.Record, error) {
	rec, err := a.Application(id)
	if err != nil {
		return nil, err
	}
	out, err := a.s.dir.Update(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		merged, err := directory.Merge(cur.Application, body)
		if err != nil {
			return directory.Record{}, err
		}
		next := cur.Clone()
		next.Application = merged
		return next, nil
	})
	if err != nil {
		return nil, fmt.Errorf("patch application %s: %w", id, err)
	}
	return out, nil
}

// GrantGraphRoles adds Microsoft Graph app roles to an application's service principal.
func (a *Admin) GrantGraphRoles(id string, roles ...string) error {
	return a.edit(id, func(r *directory.Record) {
		for _, role := range roles {
			if !r.HasGraphRole(role) {
				r.GraphRoles = append(r.GraphRoles, role)
			}
		}
	})
}

// RevokeGraphRoles removes Microsoft Graph app roles from an application's service principal.
func (a *Admin) RevokeGraphRoles(id string, roles ...string) error {
	return a.edit(id, func(r *directory.Record) {
		kept := r.GraphRoles[:0]
		for _, have := range r.GraphRoles {
			drop := false
			for _, role := range roles {
				drop = drop || strings.EqualFold(have, role)
			}
			if !drop {
				kept = append(kept, have)
			}
		}
		r.GraphRoles = kept
	})
}

// AddOwners adds owners to an application: appIds of applications in the directory (resolved to their
// service principals) or directory object ids.
func (a *Admin) AddOwners(id string, owners ...string) error {
	resolved := make([]string, 0, len(owners))
	for _, o := range owners {
		if rec, err := a.s.dir.GetByAppID(o, directory.Primary); err == nil {
			o = rec.ServicePrincipalID
		} else if !directory.IsGUID(o) {
			return fmt.Errorf("add owner %q: not an appId of the directory nor an object id", o)
		}
		resolved = append(resolved, strings.ToLower(o))
	}
	return a.edit(id, func(r *directory.Record) {
		for _, o := range resolved {
			if !r.IsOwner(o) {
				r.Owners = append(r.Owners, o)
			}
		}
	})
}

// AddSecret adds a client secret to an application.
func (a *Admin) AddSecret(id, value string) error {
	if value == "" {
		return errors.New("add secret: empty value")
	}
	return a.edit(id, func(r *directory.Record) { r.Secrets = append(r.Secrets, directory.Secret{Value: value}) })
}

// AddFederatedCredential adds a federated identity credential to an application. An issuer starting with
// "/oidc/" is relative to the emulator's base URL.
func (a *Admin) AddFederatedCredential(id string, fc directory.FederatedCredential) error {
	if fc.Issuer == "" || fc.Subject == "" {
		return errors.New("add federated credential: issuer and subject are required")
	}
	return a.edit(id, func(r *directory.Record) { r.Federated = append(r.Federated, fc) })
}

func (a *Admin) edit(id string, fn func(*directory.Record)) error {
	rec, err := a.Application(id)
	if err != nil {
		return err
	}
	_, err = a.s.dir.Update(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		next := cur.Clone()
		fn(&next)
		return next, nil
	})
	if err != nil {
		return fmt.Errorf("edit application %s: %w", id, err)
	}
	return nil
}

// SetAccessList replaces the Client Access List of a route ("nonprod/eu").
func (a *Admin) SetAccessList(routeKey string, appIDs []string) error {
	return a.s.lkps.SetAccessList(routeKey, appIDs)
}

// MintToken issues an access token for an application of the directory. audience is the resource
// (e.g. "https://graph.microsoft.com" or an LKPS audience); lifetime 0 means the configured lifetime and
// a negative lifetime an already expired token.
func (a *Admin) MintToken(appID, audience string, lifetime time.Duration) (string, error) {
	tok, err := a.s.entra.Mint(appID, audience, lifetime)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return tok, nil
}

// SetRegisterAnswer varies the shape of LKPS's register answer (timestamp form, omitted, extra or
// overridden fields); the zero value restores the assumed contract.
func (a *Admin) SetRegisterAnswer(ans lkpsapi.RegisterAnswer) error {
	return a.s.lkps.SetRegisterAnswer(ans)
}

// SetProxyPage makes a proxy in front of Ocelot answer LKPS requests with a page (e.g. an HTML 502);
// nil removes it.
func (a *Admin) SetProxyPage(p *lkpsapi.ProxyPage) error { return a.s.lkps.SetProxyPage(p) }

// AzureCLIAppID is the application ID of the Azure CLI, the client of the user tokens MintUserToken issues.
const AzureCLIAppID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// azureCLIGraphScopes is the scp claim of an Azure CLI token for Microsoft Graph.
const azureCLIGraphScopes = "Application.ReadWrite.All AuditLog.Read.All Directory.AccessAsUser.All Group.ReadWrite.All User.ReadWrite.All"

// UserToken describes a delegated (signed-in user) access token, as the Azure CLI obtains one.
type UserToken struct {
	// ObjectID is the user's object id (the oid claim); owners of applications may name it.
	ObjectID string `json:"objectId"`
	// Audience is the resource, e.g. "https://graph.microsoft.com".
	Audience string `json:"audience"`
	// Name is the user's display name; Email their address (optional).
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// DirectoryRoles are directory role template IDs (the wids claim), e.g. Application Administrator's
	// 9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3.
	DirectoryRoles []string `json:"directoryRoles,omitempty"`
	// Lifetime of the token; 0 means the configured lifetime.
	Lifetime time.Duration `json:"-"`
}

// MintUserToken issues a delegated access token for a user signed in through the Azure CLI: it carries
// scp (so Graph treats it as acting for the user), no roles, and the user's directory roles in wids.
func (a *Admin) MintUserToken(u UserToken) (string, error) {
	if !directory.IsGUID(u.ObjectID) || u.Audience == "" {
		return "", errors.New("mint user token: objectId (a GUID) and audience are required")
	}
	c := entra.Claims{
		Audience: u.Audience, AppID: AzureCLIAppID, AuthorizedParty: AzureCLIAppID, ObjectID: strings.ToLower(u.ObjectID),
		Scopes: azureCLIGraphScopes, DirectoryRoles: u.DirectoryRoles, Name: u.Name, Email: u.Email,
	}
	if u.Lifetime != 0 {
		now := a.s.cfg.Now()
		c.IssuedAt, c.Expiry = now, now.Add(u.Lifetime)
		if u.Lifetime < 0 {
			c.IssuedAt = c.Expiry.Add(-time.Hour)
		}
	}
	tok, err := a.s.entra.MintClaims(c)
	if err != nil {
		return "", fmt.Errorf("mint user token: %w", err)
	}
	return tok, nil
}

// SaveState writes the state file now.
func (a *Admin) SaveState() error { return a.s.SaveState() }

func ref(id string) directory.Ref { return directory.Ref{ObjectID: id} }

// --- HTTP ---

// faultsJSON is the admin API's fault configuration: durations as Go duration strings ("250ms").
type faultsJSON struct {
	Latency                string  `json:"latency,omitempty"`
	ReplicaLag             string  `json:"replicaLag,omitempty"`
	StaleReadProbability   float64 `json:"staleReadProbability,omitempty"`
	ConflictProbability    float64 `json:"conflictProbability,omitempty"`
	ConflictNextWrites     int     `json:"conflictNextWrites,omitempty"`
	ThrottleProbability    float64 `json:"throttleProbability,omitempty"`
	ThrottleNext           int     `json:"throttleNext,omitempty"`
	RetryAfterSeconds      int     `json:"retryAfterSeconds,omitempty"`
	RetryAfterForm         string  `json:"retryAfterForm,omitempty"`
	UnavailableProbability float64 `json:"unavailableProbability,omitempty"`
	UnavailableNext        int     `json:"unavailableNext,omitempty"`
	AmbiguousWriteProb     float64 `json:"ambiguousWriteProbability,omitempty"`
	AmbiguousWriteNext     int     `json:"ambiguousWriteNext,omitempty"`
	ForeignWriterRate      float64 `json:"foreignWriterRate,omitempty"`
	ForeignWriterApp       string  `json:"foreignWriterApp,omitempty"`
	Seed                   uint64  `json:"seed,omitempty"`
}

func faultsToJSON(c faults.Config) faultsJSON {
	out := faultsJSON{
		StaleReadProbability: c.StaleReadProbability, ConflictProbability: c.ConflictProbability,
		ConflictNextWrites: c.ConflictNextWrites, ThrottleProbability: c.ThrottleProbability, ThrottleNext: c.ThrottleNext,
		RetryAfterSeconds: c.RetryAfterSeconds, RetryAfterForm: c.RetryAfterForm, UnavailableProbability: c.UnavailableProbability,
		UnavailableNext: c.UnavailableNext, Seed: c.Seed,
		AmbiguousWriteProb: c.AmbiguousWriteProbability, AmbiguousWriteNext: c.AmbiguousWriteNext,
		ForeignWriterRate: c.ForeignWriterRate, ForeignWriterApp: c.ForeignWriterApp,
	}
	if c.Latency > 0 {
		out.Latency = c.Latency.String()
	}
	if c.ReplicaLag > 0 {
		out.ReplicaLag = c.ReplicaLag.String()
	}
	return out
}

func (f faultsJSON) config() (faults.Config, error) {
	c := faults.Config{
		StaleReadProbability: f.StaleReadProbability, ConflictProbability: f.ConflictProbability,
		ConflictNextWrites: f.ConflictNextWrites, ThrottleProbability: f.ThrottleProbability, ThrottleNext: f.ThrottleNext,
		RetryAfterSeconds: f.RetryAfterSeconds, RetryAfterForm: f.RetryAfterForm, UnavailableProbability: f.UnavailableProbability,
		UnavailableNext: f.UnavailableNext, Seed: f.Seed,
		AmbiguousWriteProbability: f.AmbiguousWriteProb, AmbiguousWriteNext: f.AmbiguousWriteNext,
		ForeignWriterRate: f.ForeignWriterRate, ForeignWriterApp: f.ForeignWriterApp,
	}
	var err error
	if f.Latency != "" {
		if c.Latency, err = time.ParseDuration(f.Latency); err != nil {
			return faults.Config{}, fmt.Errorf("latency: %w", err)
		}
	}
	if f.ReplicaLag != "" {
		if c.ReplicaLag, err = time.ParseDuration(f.ReplicaLag); err != nil {
			return faults.Config{}, fmt.Errorf("replicaLag: %w", err)
		}
	}
	return c, nil
}

type adminError struct {
	Error string `json:"error"`
}

func (a *Admin) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_emulator/state", func(w http.ResponseWriter, _ *http.Request) {
		st := a.State()
		for i := range st.Directory.Applications {
			redactSecrets(&st.Directory.Applications[i])
		}
		for i := range st.Directory.DeletedItems {
			redactSecrets(&st.Directory.DeletedItems[i].Record)
		}
		adminJSON(w, http.StatusOK, st)
	})
	mux.HandleFunc("POST /_emulator/reset", func(w http.ResponseWriter, _ *http.Request) {
		if err := a.Reset(); err != nil {
			adminFail(w, http.StatusInternalServerError, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_emulator/save", func(w http.ResponseWriter, _ *http.Request) {
		if err := a.SaveState(); err != nil {
			adminFail(w, http.StatusConflict, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_emulator/faults", func(w http.ResponseWriter, _ *http.Request) {
		adminJSON(w, http.StatusOK, faultsToJSON(a.Faults()))
	})
	mux.HandleFunc("PUT /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		var f faultsJSON
		if !decodeAdmin(w, r, &f) {
			return
		}
		cfg, err := f.config()
		if err == nil {
			err = a.SetFaults(cfg)
		}
		if err != nil {
			adminFail(w, http.StatusBadRequest, err)
			return
		}
		adminJSON(w, http.StatusOK, faultsToJSON(a.Faults()))
	})
	mux.HandleFunc("DELETE /_emulator/faults", func(w http.ResponseWriter, _ *http.Request) {
		a.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_emulator/foreign-writer", func(w http.ResponseWriter, _ *http.Request) {
		adminJSON(w, http.StatusOK, a.ForeignWriter())
	})
	mux.HandleFunc("GET /_emulator/counters", func(w http.ResponseWriter, _ *http.Request) { adminJSON(w, http.StatusOK, a.Counters()) })
	mux.HandleFunc("DELETE /_emulator/counters", func(w http.ResponseWriter, _ *http.Request) {
		a.ResetCounters()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_emulator/applications", func(w http.ResponseWriter, r *http.Request) {
		var app SeedApplication
		if !decodeAdmin(w, r, &app) {
			return
		}
		rec, err := a.CreateApplication(app)
		if err != nil {
			adminFail(w, statusOf(err), err)
			return
		}
		adminJSON(w, http.StatusCreated, recordJSON(rec))
	})
	mux.HandleFunc("GET /_emulator/applications/{id}", func(w http.ResponseWriter, r *http.Request) {
		rec, err := a.Application(r.PathValue("id"))
		if err != nil {
			adminFail(w, statusOf(err), err)
			return
		}
		adminJSON(w, http.StatusOK, recordJSON(rec))
	})
	mux.HandleFunc("PATCH /_emulator/applications/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			adminFail(w, http.StatusBadRequest, err)
			return
		}
		rec, err := a.PatchApplication(r.PathValue("id"), body)
		if err != nil {
			adminFail(w, statusOf(err), err)
			return
		}
		adminJSON(w, http.StatusOK, recordJSON(rec))
	})
	mux.HandleFunc("DELETE /_emulator/applications/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := a.DeleteApplication(r.PathValue("id")); err != nil {
			adminFail(w, statusOf(err), err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PATCH /_emulator/policies/defaultAppManagementPolicy", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err == nil {
			err = a.PatchAppManagementPolicy(body)
		}
		if err != nil {
			adminFail(w, http.StatusBadRequest, err)
			return
		}
		adminJSON(w, http.StatusOK, a.AppManagementPolicy())
	})
	mux.HandleFunc("POST /_emulator/applications/{id}/graph-roles", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Roles []string `json:"roles"`
		}
		if !decodeAdmin(w, r, &body) {
			return
		}
		a.respondEdit(w, r.PathValue("id"), a.GrantGraphRoles(r.PathValue("id"), body.Roles...))
	})
	mux.HandleFunc("DELETE /_emulator/applications/{id}/graph-roles", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Roles []string `json:"roles"`
		}
		if !decodeAdmin(w, r, &body) {
			return
		}
		a.respondEdit(w, r.PathValue("id"), a.RevokeGraphRoles(r.PathValue("id"), body.Roles...))
	})
	mux.HandleFunc("POST /_emulator/applications/{id}/owners", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Owners []string `json:"owners"`
		}
		if !decodeAdmin(w, r, &body) {
			return
		}
		a.respondEdit(w, r.PathValue("id"), a.AddOwners(r.PathValue("id"), body.Owners...))
	})
	mux.HandleFunc("PUT /_emulator/access-lists/{env}/{region}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			AppIDs []string `json:"appIds"`
		}
		if !decodeAdmin(w, r, &body) {
			return
		}
		key := r.PathValue("env") + "/" + r.PathValue("region")
		if err := a.SetAccessList(key, body.AppIDs); err != nil {
			adminFail(w, http.StatusBadRequest, err)
			return
		}
		adminJSON(w, http.StatusOK, map[string]any{"route": key, "appIds": a.State().AccessLists[key]})
	})
	mux.HandleFunc("POST /_emulator/tokens", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			AppID    string `json:"appId"`
			Audience string `json:"audience"`
			Lifetime string `json:"lifetime"`
		}
		if !decodeAdmin(w, r, &body) {
			return
		}
		serveToken(w, body.Lifetime, func(lifetime time.Duration) (string, error) {
			return a.MintToken(body.AppID, body.Audience, lifetime)
		})
	})
	mux.HandleFunc("PUT /_emulator/lkps/register-answer", func(w http.ResponseWriter, r *http.Request) {
		var body lkpsapi.RegisterAnswer
		if !decodeAdmin(w, r, &body) {
			return
		}
		if err := a.SetRegisterAnswer(body); err != nil {
			adminFail(w, http.StatusBadRequest, err)
			return
		}
		adminJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("DELETE /_emulator/lkps/register-answer", func(w http.ResponseWriter, _ *http.Request) {
		_ = a.SetRegisterAnswer(lkpsapi.RegisterAnswer{})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /_emulator/lkps/proxy-page", func(w http.ResponseWriter, r *http.Request) {
		var body lkpsapi.ProxyPage
		if !decodeAdmin(w, r, &body) {
			return
		}
		if err := a.SetProxyPage(&body); err != nil {
			adminFail(w, http.StatusBadRequest, err)
			return
		}
		adminJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("DELETE /_emulator/lkps/proxy-page", func(w http.ResponseWriter, _ *http.Request) {
		_ = a.SetProxyPage(nil)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_emulator/user-tokens", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			UserToken
			Lifetime string `json:"lifetime"`
		}
		if !decodeAdmin(w, r, &body) {
			return
		}
		serveToken(w, body.Lifetime, func(lifetime time.Duration) (string, error) {
			body.UserToken.Lifetime = lifetime
			return a.MintUserToken(body.UserToken)
		})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) {
			adminFail(w, http.StatusForbidden, errors.New("the admin API answers loopback callers only"))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// serveToken answers a token request of the admin API: lifetime is a Go duration ("" for the configured
// lifetime, negative for an expired token), mint issues the token, and the answer is never cached.
func serveToken(w http.ResponseWriter, lifetime string, mint func(time.Duration) (string, error)) {
	var d time.Duration
	if lifetime != "" {
		var err error
		if d, err = time.ParseDuration(lifetime); err != nil {
			adminFail(w, http.StatusBadRequest, fmt.Errorf("lifetime: %w", err))
			return
		}
	}
	tok, err := mint(d)
	if err != nil {
		adminFail(w, http.StatusBadRequest, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	adminJSON(w, http.StatusOK, map[string]string{"access_token": tok, "token_type": "Bearer"})
}

// redactedSecret replaces secret values in admin API responses; the state file keeps them so that a
// resumed emulator accepts the same credentials.
const redactedSecret = "<redacted>"

func redactSecrets(r *directory.Record) {
	for i := range r.Secrets {
		r.Secrets[i].Value = redactedSecret
	}
}

// recordJSON is a record as the admin API returns it, with secret values redacted.
func recordJSON(r *directory.Record) directory.Record {
	out := r.Clone()
	redactSecrets(&out)
	return out
}

func (a *Admin) respondEdit(w http.ResponseWriter, id string, err error) {
	if err != nil {
		adminFail(w, statusOf(err), err)
		return
	}
	rec, err := a.Application(id)
	if err != nil {
		adminFail(w, statusOf(err), err)
		return
	}
	adminJSON(w, http.StatusOK, recordJSON(rec))
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, directory.ErrConflict), errors.Is(err, directory.ErrIdentifierURIConflict):
		return http.StatusConflict
	default:
		return http.StatusBadRequest
	}
}

func decodeAdmin(w http.ResponseWriter, r *http.Request, dst any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		adminFail(w, http.StatusBadRequest, fmt.Errorf("decode request body: %w", err))
		return false
	}
	return true
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(raw, '\n'))
}

func adminFail(w http.ResponseWriter, status int, err error) {
	adminJSON(w, status, adminError{Error: err.Error()})
}
