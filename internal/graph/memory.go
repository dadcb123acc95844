package graph

import (
	"maps"
	"slices"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The worker's memory: the intents this process confirmed, and what it saw of the application (to
// tell a replica that is behind from another writer's change).

// remember records committed intents (read-your-writes, and what to restore when another writer
// overwrites them).
func (w *appWorker) remember(intents []model.Intent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, i := range intents {
		w.expect[i.Key()] = i
		if i.Kind == model.IntentScope && i.Present {
			w.seen[model.ScopeFact(i.Scope)] = true
		}
	}
	w.gen++
}

// expected returns the confirmed intents.
func (w *appWorker) expected() []model.Intent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Collect(maps.Values(w.expect))
}

// drop forgets one confirmed intent.
func (w *appWorker) drop(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.expect, key)
}

// looksOld reports whether st lacks an intent this process confirmed and shows nothing another
// writer changed since this process last saw the application: a replica that is behind.
func (w *appWorker) looksOld(st *model.State) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, i := range w.expect {
		if !i.Holds(st) {
			return !w.showsNewsLocked(st, w.known)
		}
	}
	return false
}

// showsNewsLocked reports whether st shows something that known lacks and that is none of this
// process's intents: another writer's change, so st is newer than known. A stale replica shows only
// older states, which hold nothing known lacks (except a fact this process removed, which is ours).
func (w *appWorker) showsNewsLocked(st, known *model.State) bool {
	if known == nil {
		return false
	}
	for _, i := range model.IntentsOf(known, st) {
		if !i.Present {
			continue
		}
		if _, ours := w.expect[i.Key()]; !ours {
			return true
		}
		if i.Kind == model.IntentScope && !w.seen[model.ScopeFact(i.Scope)] {
			return true // our scope, in a version nobody showed or sent us: changed by another writer
		}
	}
	return false
}

// sawLocked records the scope versions st shows. Caller holds w.mu.
func (w *appWorker) sawLocked(st *model.State) {
	for s := range st.Scopes() {
		w.seen[model.ScopeFact(s)] = true
	}
}

// noteStale records a read that missed a confirmed write: replication lag at least since then.
func (w *appWorker) noteStale() {
	w.mu.Lock()
	last := w.lastWrite
	w.mu.Unlock()
	if !last.IsZero() {
		w.c.noteLag(w.c.now().Sub(last))
	}
}

// noteForeign records st as the latest state this process saw and whether another writer changed
// the application since the previous one.
func (w *appWorker) noteForeign(st *model.State) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.showsNewsLocked(st, w.known) {
		w.markForeignLocked()
	}
	w.sawLocked(st)
	w.known = st
}
