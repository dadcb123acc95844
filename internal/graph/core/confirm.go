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

// NewConfirmation starts the confirmation of first, sent at now.
func NewConfirmation[O comparable](first *Batch[O], now time.Time) *Confirmation[O] {
	first.WrittenAt = now
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

// missingSince is when the oldest batch whose intents st does not all show was written (the newest
// write when st shows them all): how long our change has been missing.
func (cf *Confirmation[O]) missingSince(st *model.State) time.Time {
	for _, b := range cf.Pending {
		if len(model.Missing(b.Intents, st)) > 0 {
			return b.WrittenAt
		}
	}
	return cf.Pending[len(cf.Pending)-1].WrittenAt
}

// Classify decides what the read st shows of the intents in flight (App.Classify) and keeps those
// it lacks in Lost; foreign says it shows another writer's change.
func (cf *Confirmation[O]) Classify(m *App, st *model.State, now time.Time, l Lag) (o Outcome, foreign bool) {
	o, cf.Lost, foreign = m.Classify(cf.Intents(), st, cf.Sent, now.Sub(cf.missingSince(st)), l.OverwriteAfter())
	return o, foreign
}

// Behind records a read from a replica that has not caught up: it returns the lag it shows (how long
// the oldest missing change has been written) and ends the confirmation of the batches st shows,
// oldest first, so their callers need not wait for newer ones; the newest batch stays.
func (cf *Confirmation[O]) Behind(st *model.State, now time.Time) (lag time.Duration) {
	lag = now.Sub(cf.missingSince(st))
	cf.Misses++
	for len(cf.Pending) > 1 && len(model.Missing(cf.Pending[0].Intents, st)) == 0 {
		cf.Pending = cf.Pending[1:]
	}
	return lag
}

// Absorb adds b, built on what this process sent and sent at now, to the batches in flight; older
// batches stop awaiting the intents b replaced (a pre-authorization added and removed again): Graph
// can no longer show those, and b's confirmation covers the fact.
func (cf *Confirmation[O]) Absorb(b *Batch[O], now time.Time) {
	for _, i := range b.Intents {
		cf.dropKeys(i.Key())
	}
	b.WrittenAt = now
	cf.Pending = append(cf.Pending, b)
	cf.Sent = b.Cur
}

// Reapply builds on st the intents in flight it lacks, and every other confirmed intent (expected) it
// lacks (the package function Reapply); ok is false once that was done maxReapply times. The intents
// that cannot be applied any more are dropped (Drop) and returned with the ops that wanted them.
func (cf *Confirmation[O]) Reapply(st *model.State, expected []model.Intent, maxReapply int) (next *model.State, failed map[string]error, unrestorable []Unapplied, ok bool) {
	if cf.Reapplied >= maxReapply {
		return nil, nil, nil, false
	}
	cf.Reapplied++
	next, failed, unrestorable = Reapply(st, cf.Lost, expected)
	return next, failed, unrestorable, true
}

// Drop stops awaiting the intent with key (it can no longer be applied) and returns the ops that
// wanted it.
func (cf *Confirmation[O]) Drop(key string) (wanted []O) {
	for _, b := range cf.Pending {
		for _, o := range b.Contributors {
			if b.Keys[o][key] {
				wanted = append(wanted, o)
			}
		}
	}
	cf.dropKeys(key)
	return wanted
}

// Resent records that every intent in flight was sent again, as sent, at now.
func (cf *Confirmation[O]) Resent(sent *model.State, now time.Time) {
	cf.Sent = sent
	for _, b := range cf.Pending {
		b.WrittenAt = now
	}
}

// dropKeys stops awaiting the intents with the keys.
func (cf *Confirmation[O]) dropKeys(keys ...string) {
	for _, b := range cf.Pending {
		b.Intents = slices.DeleteFunc(slices.Clone(b.Intents), func(i model.Intent) bool { return slices.Contains(keys, i.Key()) })
	}
}
