package core

import (
	"maps"
	"slices"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Memory is what one process knows of one application: the intents it confirmed (read-your-writes,
// and what to restore when another writer overwrites them) and what it saw, to tell a replica that
// is behind from another writer's change. The driver guards it with its worker's lock.
type Memory struct {
	expect map[string]model.Intent // the intents this process confirmed, by key
	seen   map[string]bool         // every version of a scope (model.ScopeFact) this process read or wrote
	known  *model.State            // the latest state this process confirmed or built on
}

// NewMemory returns an empty memory.
func NewMemory() *Memory {
	return &Memory{expect: make(map[string]model.Intent), seen: make(map[string]bool)}
}

// Remember records committed intents.
func (m *Memory) Remember(intents []model.Intent) {
	for _, i := range intents {
		m.expect[i.Key()] = i
		if i.Kind == model.IntentScope && i.Present {
			m.seen[model.ScopeFact(i.Scope)] = true
		}
	}
}

// Expected returns the confirmed intents.
func (m *Memory) Expected() []model.Intent { return slices.Collect(maps.Values(m.expect)) }

// Drop forgets one confirmed intent.
func (m *Memory) Drop(key string) { delete(m.expect, key) }

// LooksOld reports whether st lacks an intent this process confirmed and shows nothing another
// writer changed since this process last saw the application: a replica that is behind. (A read
// after another writer overwrote ours shows that writer's change too; the next round restores ours.)
func (m *Memory) LooksOld(st *model.State) bool {
	for _, i := range m.expect {
		if !i.Holds(st) {
			return !m.showsNews(st, m.known)
		}
	}
	return false
}

// showsNews reports whether st shows something that known lacks and that is none of this process's
// intents: another writer's change, so st is newer than known. A stale replica shows only older
// states, which hold nothing known lacks (except a fact this process removed, which is ours), and
// only scope versions that existed before: a version never seen is another writer's.
func (m *Memory) showsNews(st, known *model.State) bool {
	if known == nil {
		return false
	}
	for _, i := range model.IntentsOf(known, st) {
		if !i.Present {
			continue
		}
		if _, ours := m.expect[i.Key()]; !ours {
			return true
		}
		if i.Kind == model.IntentScope && !m.seen[model.ScopeFact(i.Scope)] {
			return true // our scope, in a version nobody showed or sent us: changed by another writer
		}
	}
	return false
}

// Saw records the scope versions st shows.
func (m *Memory) Saw(st *model.State) {
	for _, s := range st.Application().Scopes {
		m.seen[model.ScopeFact(s)] = true
	}
}

// Observe records st as the latest state this process saw, and reports whether another writer
// changed the application since the previous one.
func (m *Memory) Observe(st *model.State) (foreign bool) {
	foreign = m.showsNews(st, m.known)
	m.Saw(st)
	m.known = st
	return foreign
}

// Overwritten reports whether a read that lacks some of our intents in flight (ours) shows that
// another writer overwrote them: it holds a change that is neither in sent (what this process wrote
// last) nor ours nor confirmed, or they have been missing for overwriteAfter (Lag.OverwriteAfter) or
// longer, more than replication explains. foreign says the first: another writer was seen.
func (m *Memory) Overwritten(st, sent *model.State, ours []model.Intent, missingFor, overwriteAfter time.Duration) (overwritten, foreign bool) {
	if missingFor >= overwriteAfter {
		return true, false
	}
	mine := make(map[string]bool, len(ours))
	for _, i := range ours {
		mine[i.Key()] = true
	}
	for _, i := range model.IntentsOf(sent, st) {
		if _, confirmed := m.expect[i.Key()]; i.Present && !confirmed && !mine[i.Key()] {
			return true, true
		}
	}
	return false, false
}

// Outcome is what one confirmation read shows of the intents in flight.
type Outcome int

// Outcomes of a confirmation read; the driver has one handler each (confirm.go).
const (
	Visible     Outcome = iota // every intent in flight: one read that shows them proves the commit
	Overwritten                // another writer overwrote some of them: apply them again
	Behind                     // a replica that has not caught up: read again
)

// Classify decides what the confirmation read st shows of ours, the intents in flight, and returns
// the ones it lacks; missingFor is how long the oldest of them has been missing, sent what this
// process wrote last. foreign says another writer's change was seen (Overwritten).
func (m *Memory) Classify(ours []model.Intent, st, sent *model.State, missingFor, overwriteAfter time.Duration) (o Outcome, lost []model.Intent, foreign bool) {
	if lost = model.Missing(ours, st); len(lost) == 0 {
		return Visible, nil, false
	}
	if overwritten, foreign := m.Overwritten(st, sent, ours, missingFor, overwriteAfter); overwritten {
		return Overwritten, lost, foreign
	}
	return Behind, lost, false
}
