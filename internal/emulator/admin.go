package emulator

import (
	"fmt"

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
	a.ResetCounters()
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
func (a *Admin) Counters() map[string]int64 { return a.s.requests.Snapshot() }

// Counter returns one route's request counter (graphapi.Route* or the Counter* constants).
func (a *Admin) Counter(route string) int64 { return a.s.requests.Get(route) }

// ResetCounters zeroes the request counters.
func (a *Admin) ResetCounters() { a.s.requests.Reset() }

// SetAccessList replaces the Client Access List of a route ("nonprod/eu").
func (a *Admin) SetAccessList(routeKey string, appIDs []string) error {
	return a.s.lkps.SetAccessList(routeKey, appIDs)
}

// SetRegisterAnswer varies the shape of LKPS's register answer (timestamp form, omitted, extra or
// overridden fields); the zero value restores the assumed contract.
func (a *Admin) SetRegisterAnswer(ans lkpsapi.RegisterAnswer) error {
	return a.s.lkps.SetRegisterAnswer(ans)
}

// SetProxyPage makes a proxy in front of Ocelot answer LKPS requests with a page (e.g. an HTML 502);
// nil removes it.
func (a *Admin) SetProxyPage(p *lkpsapi.ProxyPage) error { return a.s.lkps.SetProxyPage(p) }

// SaveState writes the state file now.
func (a *Admin) SaveState() error { return a.s.SaveState() }
