package core

import (
	"slices"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// A confirmation in progress, one event after another: each row is an event and what it leaves.
func TestConfirmation(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l := Lag{Declared: 3 * time.Second}
	base := &model.State{ObjectID: "obj"}
	first := Build(base, []uri{"api://a"}, runURI, nil, true, false)
	first.WrittenAt = t0
	cf := &Confirmation[uri]{Pending: []*Batch[uri]{first}, Sent: first.Cur}
	m := NewApp()
	m.Observe(base)
	m.Commit(first.Intents, t0)

	// A read without our change and with nothing new: behind, and the lag it shows is recorded.
	if o, foreign, lag := cf.Classify(m, base, t0.Add(time.Second), l); o != Behind || foreign || len(cf.Lost) != 1 ||
		lag != time.Second || cf.Misses != 1 || len(cf.Pending) != 1 {
		t.Fatalf("behind: %v, foreign %v, lost %v, lag %s, misses %d, %d pending", o, foreign, cf.Lost, lag, cf.Misses, len(cf.Pending))
	}
	// Ops queued meanwhile go on top of what was sent; the newer batch takes over a fact it replaced.
	second := Build(cf.Sent, []uri{"api://b"}, runURI, nil, false, false)
	second.Intents = append(second.Intents, first.Intents[0]) // as if it had changed api://a again
	second.WrittenAt = t0.Add(2 * time.Second)
	cf.Absorb(second)
	if len(cf.Pending) != 2 || len(first.Intents) != 0 || cf.Sent != second.Cur || cf.Pending[1] != second {
		t.Fatalf("Absorb: %d pending, first awaits %v", len(cf.Pending), first.Intents)
	}
	// A read that shows the first batch ends its confirmation; the newest always stays.
	first.Intents = model.IntentsOf(base, first.Cur)
	onlyA := with(base, "api://a")
	if o, _, _ := cf.Classify(m, onlyA, t0.Add(3*time.Second), l); o != Behind || len(cf.Pending) != 1 || cf.Pending[0] != second {
		t.Fatalf("a read showing the older batch: %v, %d pending", o, len(cf.Pending))
	}
	// Another writer's change beside the lack of ours: overwritten, re-applied at most MaxReapply times.
	theirs := with(base, "api://theirs")
	if o, foreign, _ := cf.Classify(m, theirs, t0.Add(3*time.Second), l); o != Overwritten || !foreign {
		t.Fatalf("overwritten: %v, foreign %v", o, foreign)
	}
	next, failed, _, ok := cf.Reapply(m, theirs)
	if !ok || len(failed) != 0 || !model.IntentsOf(base, with(base, "api://b"))[0].Holds(next) || cf.Reapplied != 1 {
		t.Fatalf("Reapply: ok %v, failed %v, reapplied %d", ok, failed, cf.Reapplied)
	}
	cf.Resent(next, t0.Add(4*time.Second))
	cf.Reapplied = MaxReapply
	if _, _, _, ok := cf.Reapply(m, theirs); ok || cf.Sent != next || !second.WrittenAt.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("a re-application past MaxReapply was allowed, or Resent was not recorded")
	}
	cf.Reapplied = 1
	// An intent that cannot be applied any more is forgotten and no longer awaited, and its ops are told.
	grant := model.Intent{Kind: model.IntentGrant, Present: true, Client: "client", Perm: "no-such-scope"}
	second.Intents = append(second.Intents, grant)
	second.Changed["api://b"] = append(second.Changed["api://b"], grant)
	m.Commit([]model.Intent{grant}, t0)
	if o, _, _ := cf.Classify(m, theirs, t0.Add(4*time.Second+l.OverwriteAfter()), l); o != Overwritten || len(cf.Lost) != 3 {
		t.Fatalf("overwritten past OverwriteAfter: %v, lost %v", o, cf.Lost)
	}
	_, failed, _, _ = cf.Reapply(m, theirs)
	isGrant := func(i model.Intent) bool { return i.Key() == grant.Key() }
	if len(failed) != 1 || failed["api://b"] == nil || len(cf.Intents()) != 2 || len(cf.Ops()) != 1 ||
		slices.ContainsFunc(cf.Intents(), isGrant) || slices.ContainsFunc(m.Expected(), isGrant) {
		t.Fatalf("Reapply of an intent that cannot be applied: failed %v, still awaited %v, expected %v", failed, cf.Intents(), m.Expected())
	}
	// Missing for OverwriteAfter, with nothing new: overwritten, not lag.
	if o, foreign, _ := cf.Classify(m, with(base, "api://b"), cf.Pending[0].WrittenAt.Add(l.OverwriteAfter()), l); o != Overwritten || foreign {
		t.Fatalf("missing past OverwriteAfter: %v, foreign %v", o, foreign)
	}
}

// classify asks a confirmation of ours, sent as sent missingFor ago, what read shows
// (Confirmation.Classify, with an OverwriteAfter of 6 s).
func classify(a *App, ours []model.Intent, read, sent *model.State, missingFor time.Duration) (Outcome, []model.Intent, bool) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	cf := &Confirmation[int]{Pending: []*Batch[int]{{Intents: ours, WrittenAt: t0}}, Sent: sent}
	o, foreign, _ := cf.Classify(a, read, t0.Add(missingFor), Lag{Declared: 3 * time.Second})
	return o, cf.Lost, foreign
}

// A confirmation read is visible, overwritten or behind: one row each.
func TestClassify(t *testing.T) {
	base := &model.State{ObjectID: "obj", AppID: "app"}
	sent := with(base, "api://ours")
	ours := model.IntentsOf(base, sent)
	cases := []struct {
		name       string
		read       *model.State
		missingFor time.Duration
		want       Outcome
		foreign    bool
	}{
		{"shows ours", sent, 0, Visible, false},
		{"shows ours beside another writer's", with(sent, "api://theirs"), 0, Visible, false},
		{"lacks ours, nothing new", base, time.Second, Behind, false},
		{"lacks ours past OverwriteAfter", base, 6 * time.Second, Overwritten, false},
		{"lacks ours, shows another writer's", with(base, "api://theirs"), time.Second, Overwritten, true},
	}
	for _, tc := range cases {
		m := NewApp()
		m.Observe(base)
		o, lost, foreign := classify(m, ours, tc.read, sent, tc.missingFor)
		if o != tc.want || foreign != tc.foreign || (o == Visible) != (len(lost) == 0) {
			t.Errorf("%s: Classify = %v, %d lost, foreign %v; want %v, foreign %v", tc.name, o, len(lost), foreign, tc.want, tc.foreign)
		}
	}
}
