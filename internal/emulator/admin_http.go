package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
)

type adminError struct {
	Error string `json:"error"`
}

// Bodies of the admin API's edits of an application.
type (
	rolesBody struct {
		Roles []string `json:"roles"`
	}
	ownersBody struct {
		Owners []string `json:"owners"`
	}
	accessListBody struct {
		AppIDs []string `json:"appIds"`
	}
	tokenBody struct {
		AppID    string `json:"appId"`
		Audience string `json:"audience"`
		Lifetime string `json:"lifetime"`
	}
	userTokenBody struct {
		UserToken
		Lifetime string `json:"lifetime"`
	}
)

// handler serves the admin API (README.md, "The admin API"), to loopback callers only.
func (a *Admin) handler() http.Handler {
	mux := http.NewServeMux()
	routes := map[string]http.HandlerFunc{
		"GET /_emulator/state":          func(w http.ResponseWriter, _ *http.Request) { adminJSON(w, http.StatusOK, a.redactedState()) },
		"POST /_emulator/reset":         noContent(http.StatusInternalServerError, a.Reset),
		"POST /_emulator/save":          noContent(http.StatusConflict, a.SaveState),
		"GET /_emulator/faults":         func(w http.ResponseWriter, _ *http.Request) { adminJSON(w, http.StatusOK, a.Faults()) },
		"PUT /_emulator/faults":         withBody(func(w http.ResponseWriter, _ *http.Request, c faults.Config) { reply(w, a.Faults, a.SetFaults(c)) }),
		"DELETE /_emulator/faults":      noContent(0, func() error { a.ClearFaults(); return nil }),
		"GET /_emulator/foreign-writer": func(w http.ResponseWriter, _ *http.Request) { adminJSON(w, http.StatusOK, a.ForeignWriter()) },
		"GET /_emulator/counters":       func(w http.ResponseWriter, _ *http.Request) { adminJSON(w, http.StatusOK, a.Counters()) },
		"DELETE /_emulator/counters":    noContent(0, func() error { a.ResetCounters(); return nil }),
		"POST /_emulator/applications": withBody(func(w http.ResponseWriter, _ *http.Request, app SeedApplication) {
			respondRecord(w, http.StatusCreated)(a.CreateApplication(app))
		}),
		"GET /_emulator/applications/{id}": func(w http.ResponseWriter, r *http.Request) {
			respondRecord(w, http.StatusOK)(a.Application(r.PathValue("id")))
		},
		"PATCH /_emulator/applications/{id}": withRawBody(func(w http.ResponseWriter, r *http.Request, body []byte) {
			respondRecord(w, http.StatusOK)(a.PatchApplication(r.PathValue("id"), body))
		}),
		"DELETE /_emulator/applications/{id}": func(w http.ResponseWriter, r *http.Request) {
			if err := a.DeleteApplication(r.PathValue("id")); err != nil {
				adminFail(w, statusOf(err), err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		},
		"PATCH /_emulator/policies/defaultAppManagementPolicy": withRawBody(func(w http.ResponseWriter, _ *http.Request, body []byte) {
			reply(w, a.AppManagementPolicy, a.PatchAppManagementPolicy(body))
		}),
		"POST /_emulator/applications/{id}/graph-roles": withBody(func(w http.ResponseWriter, r *http.Request, b rolesBody) {
			a.respondEdit(w, r.PathValue("id"), a.GrantGraphRoles(r.PathValue("id"), b.Roles...))
		}),
		"DELETE /_emulator/applications/{id}/graph-roles": withBody(func(w http.ResponseWriter, r *http.Request, b rolesBody) {
			a.respondEdit(w, r.PathValue("id"), a.RevokeGraphRoles(r.PathValue("id"), b.Roles...))
		}),
		"POST /_emulator/applications/{id}/owners": withBody(func(w http.ResponseWriter, r *http.Request, b ownersBody) {
			a.respondEdit(w, r.PathValue("id"), a.AddOwners(r.PathValue("id"), b.Owners...))
		}),
		"PUT /_emulator/access-lists/{env}/{region}": withBody(func(w http.ResponseWriter, r *http.Request, b accessListBody) {
			key := r.PathValue("env") + "/" + r.PathValue("region")
			reply(w, func() any { return map[string]any{"route": key, "appIds": a.State().AccessLists[key]} }, a.SetAccessList(key, b.AppIDs))
		}),
		"POST /_emulator/tokens": withBody(func(w http.ResponseWriter, _ *http.Request, b tokenBody) {
			serveToken(w, b.Lifetime, func(lifetime time.Duration) (string, error) { return a.MintToken(b.AppID, b.Audience, lifetime) })
		}),
		"POST /_emulator/user-tokens": withBody(func(w http.ResponseWriter, _ *http.Request, b userTokenBody) {
			serveToken(w, b.Lifetime, func(lifetime time.Duration) (string, error) {
				b.UserToken.Lifetime = lifetime
				return a.MintUserToken(b.UserToken)
			})
		}),
		"PUT /_emulator/lkps/register-answer": withBody(func(w http.ResponseWriter, _ *http.Request, b lkpsapi.RegisterAnswer) {
			reply(w, func() any { return b }, a.SetRegisterAnswer(b))
		}),
		"DELETE /_emulator/lkps/register-answer": noContent(0, func() error { return a.SetRegisterAnswer(lkpsapi.RegisterAnswer{}) }),
		"PUT /_emulator/lkps/proxy-page": withBody(func(w http.ResponseWriter, _ *http.Request, b lkpsapi.ProxyPage) {
			reply(w, func() any { return b }, a.SetProxyPage(&b))
		}),
		"DELETE /_emulator/lkps/proxy-page": noContent(0, func() error { return a.SetProxyPage(nil) }),
	}
	for pattern, h := range routes {
		mux.HandleFunc(pattern, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) {
			adminFail(w, http.StatusForbidden, errors.New("the admin API answers loopback callers only"))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// redactedState is the state as GET /_emulator/state shows it, with secret values redacted.
func (a *Admin) redactedState() State {
	st := a.State()
	for i := range st.Directory.Applications {
		redactSecrets(&st.Directory.Applications[i])
	}
	for i := range st.Directory.DeletedItems {
		redactSecrets(&st.Directory.DeletedItems[i].Record)
	}
	return st
}

// withBody decodes the request's JSON body (unknown fields refused) into a T and calls fn with it; a
// body it cannot decode is a 400.
func withBody[T any](fn func(http.ResponseWriter, *http.Request, T)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body T
		if !decodeAdmin(w, r, &body) {
			return
		}
		fn(w, r, body)
	}
}

// withRawBody calls fn with the request's body (up to 4 MiB).
func withRawBody(fn func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			adminFail(w, http.StatusBadRequest, err)
			return
		}
		fn(w, r, body)
	}
}

// noContent answers 204 after do, or failStatus with do's error (do must not fail when failStatus is 0).
func noContent(failStatus int, do func() error) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if err := do(); err != nil && failStatus != 0 {
			adminFail(w, failStatus, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// reply answers 400 with err, else 200 with the JSON of what (called after the change).
func reply[T any](w http.ResponseWriter, what func() T, err error) {
	if err != nil {
		adminFail(w, http.StatusBadRequest, err)
		return
	}
	adminJSON(w, http.StatusOK, what())
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

// respondEdit answers an edit of application id: its error, or the application as it is now.
func (a *Admin) respondEdit(w http.ResponseWriter, id string, err error) {
	if err != nil {
		adminFail(w, statusOf(err), err)
		return
	}
	respondRecord(w, http.StatusOK)(a.Application(id))
}

// respondRecord returns the answer to an application read or change: status with the record (secrets
// redacted), or its error's status.
func respondRecord(w http.ResponseWriter, status int) func(*directory.Record, error) {
	return func(rec *directory.Record, err error) {
		if err != nil {
			adminFail(w, statusOf(err), err)
			return
		}
		adminJSON(w, status, recordJSON(rec))
	}
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
	if err := decodeStrict(io.LimitReader(r.Body, 4<<20), dst); err != nil {
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
