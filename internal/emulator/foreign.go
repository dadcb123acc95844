package emulator

import (
	"errors"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
)

// foreignWriter is another client of Graph editing agents' pre-authorized applications at a rate: a
// second Terraform workspace, a pipeline or a person in the portal. Each edit is a read-modify-write
// of the whole collection, as Graph demands: it reads through a replica (stale under replication
// lag), waits the configured latency, then writes the collection it built, overwriting whatever was
// written in between. It behaves as every writer should (graph-behaviour.md, "Other writers"): it
// adds and removes entries of its own only, and re-applies those another writer overwrote. When it is
// stopped it settles: its own entries are made to hold once more, so a test can demand that every
// entry it added and did not remove is still there.
type foreignWriter struct {
	s *Server

	mu      sync.Mutex
	running bool
	rate    float64
	app     string
	stop    chan struct{}
	done    chan struct{}
	rng     *mrand.Rand
	own     map[string]map[string]foreignEntry // lower-case object id → lower-case client appId → entry
	edits   int64
	repairs int64
}

// foreignEntry is one entry the foreign writer added (present) or later removed.
type foreignEntry struct {
	client, scope string
	present       bool
}

// ForeignEntry is an entry of the foreign writer in ForeignWriterReport.
type ForeignEntry struct {
	// ObjectID is the application's object id.
	ObjectID string `json:"objectId"`
	// ClientAppID is the pre-authorized client's appId.
	ClientAppID string `json:"clientAppId"`
	// ScopeID is the permission the entry holds.
	ScopeID string `json:"scopeId"`
}

// ForeignWriterReport says what the foreign writer did since it was last started.
type ForeignWriterReport struct {
	// Running reports whether it is editing now.
	Running bool `json:"running"`
	// Edits is the number of writes it made.
	Edits int64 `json:"edits"`
	// Repairs is the number of its own entries it found overwritten and applied again.
	Repairs int64 `json:"repairs"`
	// Present are the entries it added and did not remove: they must be in Graph once it stopped.
	Present []ForeignEntry `json:"present"`
	// Removed are the entries it added and removed again.
	Removed []ForeignEntry `json:"removed"`
}

// configure follows the fault configuration: it stops the writer (settling its entries) when the
// rate or target changed, and starts it again when the rate is positive.
func (f *foreignWriter) configure(c faults.Config) {
	f.mu.Lock()
	same := f.running && f.rate == c.ForeignWriterRate && f.app == c.ForeignWriterApp
	f.mu.Unlock()
	if same {
		return
	}
	f.halt(true)
	if c.ForeignWriterRate <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running, f.rate, f.app = true, c.ForeignWriterRate, c.ForeignWriterApp
	f.stop, f.done = make(chan struct{}), make(chan struct{})
	f.rng = mrand.New(mrand.NewPCG(c.Seed, c.Seed^0x7f4a7c159e3779b9))
	f.own, f.edits, f.repairs = map[string]map[string]foreignEntry{}, 0, 0
	go f.loop(time.Duration(float64(time.Second)/c.ForeignWriterRate), f.stop, f.done)
}

// halt stops the writer and, when settle is set, makes its own entries hold once more.
func (f *foreignWriter) halt(settle bool) {
	f.mu.Lock()
	if !f.running {
		f.mu.Unlock()
		return
	}
	f.running = false
	stop, done := f.stop, f.done
	f.mu.Unlock()
	close(stop)
	<-done
	if settle {
		f.settle()
	}
}

func (f *foreignWriter) loop(every time.Duration, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			f.edit(stop)
		}
	}
}

// edit makes one read-modify-write of one application's pre-authorized entries.
func (f *foreignWriter) edit(stop chan struct{}) {
	rec := f.target()
	if rec == nil {
		return
	}
	view, err := f.s.dir.Get(rec.Application.ID, directory.Replica)
	if err != nil || len(view.Application.API.OAuth2PermissionScopes) == 0 {
		return
	}
	key := strings.ToLower(view.Application.ID)
	entries := slices.Clone(view.Application.API.PreAuthorizedApplications)

	f.mu.Lock()
	own := f.own[key]
	if own == nil {
		own = map[string]foreignEntry{}
		f.own[key] = own
	}
	for _, e := range own {
		if applyForeign(&entries, e) {
			f.repairs++
		}
	}
	var present []string
	for c, e := range own {
		if e.present {
			present = append(present, c)
		}
	}
	slices.Sort(present)
	var change foreignEntry
	if len(present) == 0 || f.rng.Float64() < 0.6 {
		change = foreignEntry{client: directory.NewGUID(), scope: view.Application.API.OAuth2PermissionScopes[0].ID, present: true}
	} else {
		change = own[present[f.rng.IntN(len(present))]]
		change.present = false
	}
	f.mu.Unlock()
	applyForeign(&entries, change)

	select { // the time between its read and its write, during which others may write
	case <-time.After(f.s.faults.Latency()):
	case <-stop:
		return
	}
	_, err = f.s.dir.Update(directory.Ref{ObjectID: key}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		if !scopesExist(cur.Application, entries) {
			return directory.Record{}, errors.New("a referenced scope is gone")
		}
		next := cur.Clone()
		next.Application.API.PreAuthorizedApplications = entries
		return next, nil
	})
	if err != nil {
		return
	}
	f.mu.Lock()
	own[strings.ToLower(change.client)] = change
	f.edits++
	f.mu.Unlock()
}

// target picks the application to edit: the configured one, or any with a permission scope.
func (f *foreignWriter) target() *directory.Record {
	f.mu.Lock()
	app := f.app
	f.mu.Unlock()
	if app != "" {
		rec, err := f.s.dir.Lookup(directory.Ref{ObjectID: app}, directory.Primary)
		if err != nil {
			rec, err = f.s.dir.Lookup(directory.Ref{AppID: app}, directory.Primary)
		}
		if err != nil {
			return nil
		}
		return rec
	}
	var candidates []*directory.Record
	for _, rec := range f.s.dir.List(directory.Primary) {
		if len(rec.Application.API.OAuth2PermissionScopes) > 0 {
			candidates = append(candidates, rec)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return candidates[f.rng.IntN(len(candidates))]
}

// settle makes every own entry hold on the primary (the writer's last confirmation).
func (f *foreignWriter) settle() {
	f.mu.Lock()
	own := make(map[string][]foreignEntry, len(f.own))
	for key, entries := range f.own {
		for _, e := range entries {
			own[key] = append(own[key], e)
		}
	}
	f.mu.Unlock()
	for key, list := range own {
		repaired := 0
		_, _ = f.s.dir.Update(directory.Ref{ObjectID: key}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
			entries := slices.Clone(cur.Application.API.PreAuthorizedApplications)
			for _, e := range list {
				if applyForeign(&entries, e) {
					repaired++
				}
			}
			if repaired == 0 || !scopesExist(cur.Application, entries) {
				return directory.Record{}, errors.New("nothing to settle")
			}
			next := cur.Clone()
			next.Application.API.PreAuthorizedApplications = entries
			return next, nil
		})
		f.mu.Lock()
		f.repairs += int64(repaired)
		f.mu.Unlock()
	}
}

// report returns what the writer did.
func (f *foreignWriter) report() ForeignWriterReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := ForeignWriterReport{Running: f.running, Edits: f.edits, Repairs: f.repairs, Present: []ForeignEntry{}, Removed: []ForeignEntry{}}
	for key, entries := range f.own {
		for _, e := range entries {
			fe := ForeignEntry{ObjectID: key, ClientAppID: e.client, ScopeID: e.scope}
			if e.present {
				r.Present = append(r.Present, fe)
			} else {
				r.Removed = append(r.Removed, fe)
			}
		}
	}
	less := func(a, b ForeignEntry) int {
		return strings.Compare(a.ObjectID+a.ClientAppID, b.ObjectID+b.ClientAppID)
	}
	slices.SortFunc(r.Present, less)
	slices.SortFunc(r.Removed, less)
	return r
}

// applyForeign makes entries show e (the client's entry present with the scope, or no entry of the
// client) and reports whether that changed anything.
func applyForeign(entries *[]directory.PreAuthorizedApp, e foreignEntry) bool {
	i := slices.IndexFunc(*entries, func(p directory.PreAuthorizedApp) bool { return strings.EqualFold(p.AppID, e.client) })
	switch {
	case e.present && i < 0:
		*entries = append(*entries, directory.PreAuthorizedApp{AppID: e.client, DelegatedPermissionIDs: []string{e.scope}})
		return true
	case !e.present && i >= 0:
		*entries = slices.Delete(*entries, i, i+1)
		return true
	}
	return false
}

// scopesExist reports whether every permission of entries names a scope of app.
func scopesExist(app directory.Application, entries []directory.PreAuthorizedApp) bool {
	for _, p := range entries {
		for _, id := range p.DelegatedPermissionIDs {
			if !slices.ContainsFunc(app.API.OAuth2PermissionScopes, func(s directory.PermissionScope) bool { return strings.EqualFold(s.ID, id) }) {
				return false
			}
		}
	}
	return true
}
