package graph

import (
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The worker's memory (core.Memory) under the worker's lock.

// remember records committed intents (read-your-writes, and what to restore when another writer
// overwrites them).
func (w *appWorker) remember(intents []model.Intent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mem.Remember(intents)
	w.gen++
}

// expected returns the confirmed intents.
func (w *appWorker) expected() []model.Intent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mem.Expected()
}

// drop forgets one confirmed intent.
func (w *appWorker) drop(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mem.Drop(key)
}

// looksOld is core.Memory.LooksOld: st comes from a replica that is behind.
func (w *appWorker) looksOld(st *model.State) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mem.LooksOld(st)
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
	if w.mem.Observe(st) {
		w.markForeignLocked()
	}
}
