package core

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Batch is what one round (a group commit), or one group of operations absorbed while confirming, sends.
type Batch[O comparable] struct {
	Base, Cur       *model.State // as read, as written
	Cols            model.Collection
	Intents         []model.Intent       // the facts Cur has that Base lacks: the ops' changes and the restored intents
	Contributors    []O                  // the ops that changed the application
	Changed         map[O][]model.Intent // the intents each contributor changed
	DoneAfterCommit map[O]bool           // the contributors done once Graph commits the batch
	Settled         []O                  // done without a change of their own
	Failed          map[O]error          // refused
	Restored        []model.Intent       // the confirmed intents the round applied again (Restore)
	Unrestorable    []Unapplied
	WrittenAt       time.Time // when Graph last committed the intents
}

// Unapplied is a confirmed intent that another writer's change made impossible to apply again.
type Unapplied struct {
	Intent model.Intent
	Err    error
}

// ErrNoProgress fails a step that neither changed the application nor finished (a bug in the step).
var ErrNoProgress = errors.New("internal error: a step neither changed the application nor finished")

// Build runs the ops' steps in order, each on a copy of the state the previous ones left: done,
// deferred (model.ErrDeferred: its change is dropped), or failed alone. A new round first restores the
// confirmed intents (expected) base lacks; a pipelined batch (base is what this process sent) keeps
// the marks and answers nothing without a write. solo takes one changing op only, as do changes that
// cancel each other out (a URI added and removed: nothing to write, nobody answered).
func Build[O comparable](base *model.State, ops []O, step func(O, *model.State) (done bool, err error), expected []model.Intent, newRound, solo bool) *Batch[O] {
	b := &Batch[O]{Base: base, Changed: map[O][]model.Intent{}, DoneAfterCommit: map[O]bool{}, Failed: map[O]error{}}
	cur := base.Clone()
	if newRound {
		cur.NewRound()
		b.Restored = model.Missing(expected, base)
		b.Unrestorable = Restore(cur, b.Restored)
	}
	for _, o := range ops {
		if solo && len(b.Contributors) > 0 {
			continue
		}
		next := cur.Clone()
		done, err := step(o, next)
		unchanged := model.ChangedCollections(cur, next) == 0
		switch {
		case errors.Is(err, model.ErrDeferred):
		case err != nil:
			b.Failed[o] = err
		case unchanged && done && newRound:
			b.Settled = append(b.Settled, o)
		case unchanged && !done:
			b.Failed[o] = ErrNoProgress
		case unchanged: // done without a change in a pipelined batch: the next round answers it
		default:
			b.Changed[o] = model.IntentsOf(cur, next)
			cur = next
			b.Contributors = append(b.Contributors, o)
			b.DoneAfterCommit[o] = done
		}
	}
	b.Cur, b.Cols, b.Intents = cur, model.ChangedCollections(base, cur), model.IntentsOf(base, cur)
	if b.Cols == 0 && len(b.Contributors) > 0 && !solo {
		return Build(base, ops, step, expected, newRound, true)
	}
	return b
}

// AnswersLate reports whether the batch answers without a write (done, or refused) an op submitted
// after its base was read.
func (b *Batch[O]) AnswersLate(submitted func(O) time.Time) bool {
	late := func(o O) bool { return submitted(o).After(b.Base.ReadAt) }
	return slices.ContainsFunc(b.Settled, late) || slices.ContainsFunc(slices.Collect(maps.Keys(b.Failed)), late)
}

// Refusal is what follows Graph's refusal of a batch's PATCH.
type Refusal int

// Refusals.
const (
	FailOps Refusal = iota // the contributors fail with Graph's answer
	Rebuild                // built on a replica that was behind: another round on a new read
	Isolate                // a batch of several changes was invalid: apply them one per round
)

// Refused decides what follows err, the refusal of a PATCH to which ops contributed, rebuilt
// rebuilds[i] times each; invalid says Graph found the request invalid (a 400 that is no lag). Both
// lag refusals, once the PATCH's policy ruled lag out, mean it was built on an older state.
func Refused(err error, invalid bool, rebuilds []int) Refusal {
	e, ok := model.AsAPIError(err)
	if ok && (ScopeStillEnabled(e) || UnknownPermission(e)) && len(rebuilds) > 0 && slices.Max(rebuilds) < MaxRebuilds {
		return Rebuild // a batch of restored intents only (no contributor) is never rebuilt: nothing bounds it
	}
	if invalid && len(rebuilds) > 1 {
		return Isolate
	}
	return FailOps
}

// Restore applies the lost confirmed intents to st, and returns those that can no longer be applied.
func Restore(st *model.State, lost []model.Intent) (failed []Unapplied) {
	for _, i := range lost {
		if err := i.Apply(st); err != nil && !errors.Is(err, model.ErrDeferred) {
			failed = append(failed, Unapplied{i, err})
		}
	}
	return failed
}

// Reapply builds on st the intents in flight it lacks (lost), then every other confirmed intent it
// lacks; failed are those of lost that cannot be applied any more, by key.
func Reapply(st *model.State, lost, expected []model.Intent) (next *model.State, failed map[string]error, unrestorable []Unapplied) {
	next = st.Clone()
	next.NewRound()
	failed = make(map[string]error)
	for _, u := range Restore(next, lost) {
		failed[u.Intent.Key()] = fmt.Errorf("another writer changed the application so that %s cannot be applied again: %w", u.Intent, u.Err)
	}
	inLost := func(i model.Intent) bool { return slices.ContainsFunc(lost, sameKey(i)) }
	return next, failed, Restore(next, slices.DeleteFunc(model.Missing(expected, st), inLost))
}

// sameKey matches the intents about the fact i is about.
func sameKey(i model.Intent) func(model.Intent) bool {
	return func(j model.Intent) bool { return j.Key() == i.Key() }
}

// Confirmation is one confirmation in progress (DESIGN.md, v3 rule 5 and "Pipelined group commit").
type Confirmation[O comparable] struct {
	Pending           []*Batch[O]    // the batches in flight, oldest first
	Sent              *model.State   // what this process sent last
	Misses, Reapplied int            // the reads from a replica that was behind, the re-applications
	Lost              []model.Intent // the intents in flight the latest read lacks
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

// Outcomes of a confirmation read; the driver has one handler each (worker.go).
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
