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
	Base, Cur *model.State // as read, as written
	Cols      model.Collection
	// Intents are the facts Cur has that Base lacks: the ops' changes and the restored intents.
	Intents []model.Intent
	// Contributors changed the application (Changed: the intents each changed; DoneAfterCommit: done
	// once Graph commits it); Settled are done without a change of their own; Failed were refused.
	Contributors, Settled []O
	Changed               map[O][]model.Intent
	DoneAfterCommit       map[O]bool
	Failed                map[O]error
	// Restored are the confirmed intents the round applied again (Restore); WrittenAt is when Graph last committed them.
	Restored     []model.Intent
	Unrestorable []Unapplied
	WrittenAt    time.Time
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
// the marks and answers nothing without a write. solo takes one changing op only.
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
