package core

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// uri is a step that adds the identifier URI, done at once.
type uri string

func runURI(u uri, st *model.State) (bool, error) {
	switch u {
	case "refused":
		return false, errors.New("refused")
	case "deferred":
		model.EnsureIdentifierURI(st, "api://deferred") // dropped with the deferral
		return false, model.ErrDeferred
	case "stuck": // neither changes nor finishes
		return false, nil
	case "-api://a": // removes api://a
		model.RemoveIdentifierURI(st, "api://a")
		return true, nil
	}
	model.EnsureIdentifierURI(st, string(u))
	return true, nil
}

// What a round builds: one row per rule of core.Build.
func TestBuild(t *testing.T) {
	base := with(&model.State{ObjectID: "obj"}, "api://there")
	confirmed := model.IntentsOf(&model.State{}, with(&model.State{}, "api://confirmed"))
	for _, tc := range []struct {
		name                  string
		ops                   []uri
		newRound, solo        bool
		contributors, settled int
		failed                []uri
		restored              int
	}{
		{"every change in one batch, in order", []uri{"api://a", "api://b"}, true, false, 2, 0, nil, 1},
		{"a new round restores what another writer overwrote", nil, true, false, 0, 0, nil, 1},
		{"a pipelined batch restores nothing", []uri{"api://a"}, false, false, 1, 0, nil, 0},
		{"solo: one changing op", []uri{"api://a", "api://b"}, false, true, 1, 0, nil, 0},
		{"changes that cancel out: the first alone", []uri{"api://a", "-api://a"}, false, false, 1, 0, nil, 0},
		{"already done: settled without a change", []uri{"api://there"}, true, false, 0, 1, nil, 1},
		{"already done, in a pipelined batch: left to the next round", []uri{"api://there"}, false, false, 0, 0, nil, 0},
		{"a refused op fails alone", []uri{"refused", "api://a"}, false, false, 1, 0, []uri{"refused"}, 0},
		{"a deferred op waits", []uri{"deferred"}, false, false, 0, 0, nil, 0},
		{"a step that neither changes nor finishes is a bug", []uri{"stuck"}, false, false, 0, 0, []uri{"stuck"}, 0},
	} {
		b := Build(base, tc.ops, runURI, confirmed, tc.newRound, tc.solo)
		if len(b.Contributors) != tc.contributors || len(b.Settled) != tc.settled || len(b.Failed) != len(tc.failed) || len(b.Restored) != tc.restored {
			t.Errorf("%s: %d contributors, %d settled, %d failed, %d restored; want %d, %d, %v, %d", tc.name,
				len(b.Contributors), len(b.Settled), len(b.Failed), len(b.Restored), tc.contributors, tc.settled, tc.failed, tc.restored)
		}
		for _, o := range tc.failed {
			if b.Failed[o] == nil {
				t.Errorf("%s: %s did not fail", tc.name, o)
			}
		}
		if want := len(b.Contributors) + len(b.Restored); len(b.Intents) != want || (want == 0) != (b.Cols == 0) {
			t.Errorf("%s: %d intents, collections %s; want %d intents", tc.name, len(b.Intents), b.Cols, want)
		}
		for _, o := range b.Contributors {
			if !slices.ContainsFunc(b.Changed[o], sameKey(model.Intent{Kind: model.IntentURI, Present: true, URI: string(o)})) || !b.DoneAfterCommit[o] {
				t.Errorf("%s: %s changed %v, done after commit %v", tc.name, o, b.Changed[o], b.DoneAfterCommit[o])
			}
		}
	}
	if b := Build(base, []uri{"stuck"}, runURI, nil, false, false); !errors.Is(b.Failed["stuck"], ErrNoProgress) {
		t.Errorf("a stuck step failed with %v, want ErrNoProgress", b.Failed["stuck"])
	}
	// An op submitted after the base was read may not be answered without a write on it.
	read := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) func(uri) time.Time { return func(uri) time.Time { return read.Add(d) } }
	late := with(base)
	late.ReadAt = read
	if b := Build(late, []uri{"api://there"}, runURI, nil, true, false); !b.AnswersLate(at(time.Millisecond)) || b.AnswersLate(at(0)) {
		t.Error("AnswersLate: an op newer than the read must be decided on a read of its own, an older one not")
	}
}

// What follows Graph's refusal of a batch: one row each.
func TestRefused(t *testing.T) {
	stale := &model.APIError{StatusCode: 400, Code: CodeCannotUpdateEnabledScope}
	bad := &model.APIError{StatusCode: 400, Code: "Request_BadRequest"}
	for _, tc := range []struct {
		name     string
		err      error
		invalid  bool
		rebuilds []int
		want     Refusal
	}{
		{"built on an old state: rebuild", stale, true, []int{0, 2}, Rebuild},
		{"rebuilt MaxRebuilds times: isolate the culprit", stale, true, []int{0, MaxRebuilds}, Isolate},
		{"rebuilt MaxRebuilds times, alone: fail", stale, true, []int{MaxRebuilds}, FailOps},
		{"restored intents only: never rebuilt", stale, true, nil, FailOps},
		{"an invalid batch of several: isolate", bad, true, []int{0, 0}, Isolate},
		{"an invalid change alone: fail", bad, true, []int{0}, FailOps},
		{"another refusal: fail", &model.APIError{StatusCode: 403}, false, []int{0, 0}, FailOps},
	} {
		if got := Refused(tc.err, tc.invalid, tc.rebuilds); got != tc.want {
			t.Errorf("%s: Refused = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// A re-application applies the lost intents and every other confirmed intent the read lacks; one that
// cannot be applied any more is reported, not sent.
func TestReapply(t *testing.T) {
	empty := &model.State{ObjectID: "obj"}
	lost := model.IntentsOf(empty, with(empty, "api://lost"))
	other := model.IntentsOf(empty, with(empty, "api://other"))
	grant := model.Intent{Kind: model.IntentGrant, Present: true, Client: "client", Perm: "no-such-scope"}
	next, failed, unrestorable := Reapply(empty, append(lost, grant), append(other, lost...))
	if !lost[0].Holds(next) || !other[0].Holds(next) || len(empty.Application().IdentifierURIs) != 0 {
		t.Errorf("Reapply: next %+v, the read changed: %+v", next.Application(), empty.Application())
	}
	if len(failed) != 1 || failed[grant.Key()] == nil || len(unrestorable) != 0 {
		t.Errorf("Reapply: failed %v, unrestorable %v; want the grant of a missing scope only", failed, unrestorable)
	}
	if u := Restore(with(empty), []model.Intent{grant}); len(u) != 1 || u[0].Intent != grant {
		t.Errorf("Restore of a grant of a missing scope: %v, want it unrestorable", u)
	}
}
