package core

import (
	"slices"
	"testing"
)

func TestNoticesAreToldOnce(t *testing.T) {
	var b Notices
	a := Notice{Kind: NoticeForeignWriter, ObjectID: "o1"}
	c := Notice{Kind: NoticeNotConfirmed, ObjectID: "o1", Detail: "x"}
	b.Add(a)
	b.Add(c)
	b.Add(a)
	if got := b.Take(); !slices.Equal(got, []Notice{a, c}) {
		t.Fatalf("first take = %v", got)
	}
	b.Add(a)
	if got := b.Take(); len(got) != 0 {
		t.Fatalf("a notice taken once came back: %v", got)
	}
}
