package core

import (
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// with returns a copy of st that holds the identifier URIs.
func with(st *model.State, uris ...string) *model.State {
	next := st.Clone()
	for _, u := range uris {
		model.EnsureIdentifierURI(next, u)
	}
	return next
}

// A read is judged against what this process confirmed and saw: one row per rule.
func TestMemory(t *testing.T) {
	base := &model.State{ObjectID: "obj", AppID: "app"}
	ours := model.IntentsOf(base, with(base, "api://ours"))
	cases := []struct {
		name string
		read *model.State
		// looksOld: a replica that is behind; foreign: another writer's change since known.
		looksOld, foreign bool
		// overwritten, seenForeign: Overwritten's answer for ours in flight, missing for 1 s of 6 s.
		overwritten, seenForeign bool
	}{
		{"shows our change", with(base, "api://ours"), false, false, false, false},
		{"lacks it and shows nothing new: a replica behind", base, true, false, false, false},
		{"lacks it and shows another writer's change: overwritten", with(base, "api://theirs"), false, true, true, true},
		{"shows ours and another writer's beside it", with(base, "api://ours", "api://theirs"), false, true, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemory()
			m.Observe(base)
			m.Remember(ours)
			if got := m.LooksOld(tc.read); got != tc.looksOld {
				t.Errorf("LooksOld = %v, want %v", got, tc.looksOld)
			}
			// Overwritten is asked of reads that lack some of ours (the confirmation's classification).
			if len(model.Missing(ours, tc.read)) > 0 {
				if ow, f := m.Overwritten(tc.read, with(base, "api://ours"), nil, time.Second, 6*time.Second); ow != tc.overwritten || f != tc.seenForeign {
					t.Errorf("Overwritten = %v, %v; want %v, %v", ow, f, tc.overwritten, tc.seenForeign)
				}
			}
			if got := m.Observe(tc.read); got != tc.foreign {
				t.Errorf("Observe = %v, want %v", got, tc.foreign)
			}
		})
	}
	m := NewMemory()
	m.Remember(ours)
	if ow, f := m.Overwritten(base, with(base, "api://ours"), ours, 6*time.Second, 6*time.Second); !ow || f {
		t.Errorf("missing for OverwriteAfter: Overwritten = %v, %v; want true, false (longer than lag explains)", ow, f)
	}
	if m.Drop(ours[0].Key()); len(m.Expected()) != 0 || m.LooksOld(base) {
		t.Errorf("a dropped intent is still expected: %v", m.Expected())
	}
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
		m := NewMemory()
		m.Observe(base)
		o, lost, foreign := m.Classify(ours, tc.read, sent, tc.missingFor, 6*time.Second)
		if o != tc.want || foreign != tc.foreign || (o == Visible) != (len(lost) == 0) {
			t.Errorf("%s: Classify = %v, %d lost, foreign %v; want %v, foreign %v", tc.name, o, len(lost), foreign, tc.want, tc.foreign)
		}
	}
}
