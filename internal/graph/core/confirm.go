package core

import (
	"slices"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Confirmation is one confirmation in progress (DESIGN.md, v3 rule 5 and "Pipelined group commit"):
// the batches in flight, oldest first, and what this process sent last. The driver (confirm.go)
// reads, asks Classify, and acts on the outcome with the methods below.
type Confirmation[O comparable] struct {
	Pending []*Batch[O]
	Sent    *model.State
	// Misses counts the reads from a replica that was behind; Reapplied the re-applications.
	Misses, Reapplied int
	// Lost are the intents in flight the latest read lacks.
	Lost []model.Intent
}

// NewConfirmation starts the confirmation of first.
func NewConfirmation[O comparable](first *Batch[O]) *Confirmation[O] {
	return &Confirmation[O]{Pending: []*Batch[O]{first}, Sent: first.Cur}
}

// Intents are the intents in flight.
func (cf *Confirmation[O]) Intents() []model.Intent {
	var out []model.Intent
	for _, b := range cf.Pending {
		out = append(out, b.Intents...)
	}
	return out
}

// Ops are the contributors of the batches in flight.
func (cf *Confirmation[O]) Ops() []O {
	var out []O
	for _, b := range cf.Pending {
		out = append(out, b.Contributors...)
	}
	return out
}

// Classify decides what the read st shows of the intents in flight (App.Classify) and keeps those it
// lacks in Lost; foreign says it shows another writer's change. missingFor is how long the oldest
// batch st does not all show has been written: the lag a Behind read shows. A Behind read ends the
// confirmation of the batches it shows, oldest first, so their callers need not wait for newer ones.
func (cf *Confirmation[O]) Classify(a *App, st *model.State, now time.Time, l Lag) (o Outcome, foreign bool, missingFor time.Duration) {
	oldest := slices.IndexFunc(cf.Pending, func(b *Batch[O]) bool { return len(model.Missing(b.Intents, st)) > 0 })
	if oldest < 0 {
		oldest = len(cf.Pending) - 1 // st shows them all: the newest write
	}
	missingFor = now.Sub(cf.Pending[oldest].WrittenAt)
	if o, cf.Lost, foreign = a.Classify(cf.Intents(), st, cf.Sent, missingFor, l.OverwriteAfter()); o == Behind {
		cf.Misses++
		cf.Pending = cf.Pending[oldest:]
	}
	return o, foreign, missingFor
}

// Absorb adds b, built on what this process sent, to the batches in flight; older batches stop
// awaiting the intents b replaced (a pre-authorization added and removed again): Graph can no longer
// show those, and b's confirmation covers the fact.
func (cf *Confirmation[O]) Absorb(b *Batch[O]) {
	cf.drop(func(i model.Intent) bool {
		return slices.ContainsFunc(b.Intents, func(j model.Intent) bool { return j.Key() == i.Key() })
	})
	cf.Pending = append(cf.Pending, b)
	cf.Sent = b.Cur
}

// Reapply builds on st the intents in flight it lacks, and every other confirmed intent it lacks
// (the package function Reapply); ok is false once that was done maxReapply times. The intents that
// cannot be applied any more are forgotten and no longer awaited; failed are the ops that wanted them.
func (cf *Confirmation[O]) Reapply(a *App, st *model.State, maxReapply int) (next *model.State, failed map[O]error, unrestorable []Unapplied, ok bool) {
	if cf.Reapplied >= maxReapply {
		return nil, nil, nil, false
	}
	cf.Reapplied++
	next, byKey, unrestorable := Reapply(st, cf.Lost, a.Expected())
	failed = make(map[O]error)
	for key, err := range byKey {
		a.Drop(key)
		for _, b := range cf.Pending {
			for _, o := range b.Contributors {
				if b.Keys[o][key] {
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
