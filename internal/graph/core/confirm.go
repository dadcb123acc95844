package core

import (
	"slices"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Confirmation is one confirmation in progress (DESIGN.md, v3 rule 5 and "Pipelined group commit"):
// the batches in flight, oldest first; what this process sent last; the reads from a replica that
// was behind (Misses), the re-applications, and the intents in flight the latest read lacks (Lost).
type Confirmation[O comparable] struct {
	Pending           []*Batch[O]
	Sent              *model.State
	Misses, Reapplied int
	Lost              []model.Intent
}

// NewConfirmation starts the confirmation of first.
func NewConfirmation[O comparable](first *Batch[O]) *Confirmation[O] {
	return &Confirmation[O]{Pending: []*Batch[O]{first}, Sent: first.Cur}
}

// Intents are the intents in flight.
func (cf *Confirmation[O]) Intents() (out []model.Intent) {
	for _, b := range cf.Pending {
		out = append(out, b.Intents...)
	}
	return out
}

// Ops are the contributors of the batches in flight.
func (cf *Confirmation[O]) Ops() (out []O) {
	for _, b := range cf.Pending {
		out = append(out, b.Contributors...)
	}
	return out
}

// Outcome is what one confirmation read shows of the intents in flight.
type Outcome int

// Outcomes of a confirmation read; the driver has one handler each (confirm.go).
const (
	Visible     Outcome = iota // every intent in flight: one read that shows them proves the commit
	Overwritten                // another writer overwrote some of them: apply them again
	Behind                     // a replica that has not caught up: read again
)

// Classify decides what the read st shows of the intents in flight (those it lacks: Lost). They were
// overwritten when st holds a change neither in Sent nor in flight nor confirmed (foreign), or when
// the oldest batch st does not all show was written missingFor >= Lag.OverwriteAfter ago. Else st is
// Behind by missingFor, and the batches it shows end their confirmation, oldest first.
func (cf *Confirmation[O]) Classify(a *App, st *model.State, now time.Time, l Lag) (o Outcome, foreign bool, missingFor time.Duration) {
	ours := cf.Intents()
	if cf.Lost = model.Missing(ours, st); len(cf.Lost) == 0 {
		return Visible, false, 0
	}
	oldest := slices.IndexFunc(cf.Pending, func(b *Batch[O]) bool { return len(model.Missing(b.Intents, st)) > 0 })
	if missingFor = now.Sub(cf.Pending[oldest].WrittenAt); missingFor >= l.OverwriteAfter() {
		return Overwritten, false, missingFor
	}
	for _, i := range model.IntentsOf(cf.Sent, st) {
		if _, confirmed := a.expect[i.Key()]; i.Present && !confirmed && !slices.ContainsFunc(ours, sameKey(i)) {
			return Overwritten, true, missingFor
		}
	}
	cf.Misses++
	cf.Pending = cf.Pending[oldest:]
	return Behind, false, missingFor
}

// Absorb adds b, built on what this process sent, to the batches in flight; older batches stop
// awaiting the intents b replaced (Graph can no longer show those; b's confirmation covers the fact).
func (cf *Confirmation[O]) Absorb(b *Batch[O]) {
	cf.drop(func(i model.Intent) bool { return slices.ContainsFunc(b.Intents, sameKey(i)) })
	cf.Pending = append(cf.Pending, b)
	cf.Sent = b.Cur
}

// Reapply is the package Reapply of Lost on st, at most MaxReapply times (ok false beyond); intents
// that cannot be applied any more are forgotten and no longer awaited, failed the ops that wanted them.
func (cf *Confirmation[O]) Reapply(a *App, st *model.State) (next *model.State, failed map[O]error, unrestorable []Unapplied, ok bool) {
	if cf.Reapplied >= MaxReapply {
		return nil, nil, nil, false
	}
	cf.Reapplied++
	next, byKey, unrestorable := Reapply(st, cf.Lost, a.Expected())
	failed = make(map[O]error)
	for key, err := range byKey {
		a.Drop(key)
		for _, b := range cf.Pending {
			for _, o := range b.Contributors {
				if slices.ContainsFunc(b.Changed[o], func(i model.Intent) bool { return i.Key() == key }) {
					failed[o] = err
				}
			}
		}
	}
	cf.drop(func(i model.Intent) bool { return byKey[i.Key()] != nil })
	return next, failed, unrestorable, true
}

// Resent records that every intent in flight was sent again, as sent, at now.
func (cf *Confirmation[O]) Resent(sent *model.State, now time.Time) {
	cf.Sent = sent
	for _, b := range cf.Pending {
		b.WrittenAt = now
	}
}

// drop stops awaiting the intents gone reports.
func (cf *Confirmation[O]) drop(gone func(model.Intent) bool) {
	for _, b := range cf.Pending {
		b.Intents = slices.DeleteFunc(slices.Clone(b.Intents), gone)
	}
}
