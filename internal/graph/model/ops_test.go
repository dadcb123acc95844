package model

import (
	"errors"
	"slices"
	"testing"
)

// The operations' steps and results, one row each.
func TestOps(t *testing.T) {
	if _, err := AddURI(" ", new(bool)); err == nil {
		t.Error("AddURI accepted an empty URI")
	}
	if _, err := PreAuthorize(client1, "", new(PreAuthorizedApplication)); err == nil {
		t.Error("PreAuthorize accepted an empty permission ID")
	}
	var added, removed, uriAdded bool
	var written PermissionScope
	var entry PreAuthorizedApplication
	var cleared []string
	add, _ := AddURI("API://APP", &added)
	grant, _ := PreAuthorize(client2, scopeA, &entry)
	fresh := PermissionScope{ID: "c3c3c3c3-3333-4333-8333-c3c3c3c3c3c3", Value: "new", Type: ScopeTypeUser, Enabled: true}
	renamed := PermissionScope{ID: scopeA, Value: "renamed", Type: ScopeTypeUser, Enabled: true}
	for _, tc := range []struct {
		op         Op
		done       bool
		err        error
		result     func() bool
		changesApp bool
	}{
		{add, true, nil, func() bool { return !added }, false},
		{RemoveURI("https://EXAMPLE.com/other", &removed), true, nil, func() bool { return removed }, true},
		{ExposeScope("api://new", fresh, &uriAdded), true, nil, func() bool { return uriAdded }, true},
		{ExposeScope("", PermissionScope{ID: "x", Value: "ACCESS_AS_CLIENT"}, &uriAdded), true, ErrScopeExists, func() bool { return !uriAdded }, false},
		{UpdateScope(renamed, &written), false, nil, func() bool { return !written.Enabled }, true}, // disabled first
		{grant, true, nil, func() bool { return slices.Equal(entry.DelegatedPermissionIDs, []string{scopeB, scopeA}) }, true},
		{Unauthorize(client1, scopeA), true, nil, func() bool { return true }, true},
		{DeleteScopeAndURI(scopeA, "api://app", &cleared), false, nil, func() bool { return slices.Equal(cleared, []string{client1}) }, true},
	} {
		st := fixture()
		done, err := tc.op.Step(st)
		if done != tc.done || !errors.Is(err, tc.err) || !tc.result() || (ChangedCollections(fixture(), st) != 0) != tc.changesApp {
			t.Errorf("%s: done %v, err %v, result %v, changed %s", tc.op.Name, done, err, tc.result(), ChangedCollections(fixture(), st))
		}
	}
	st := fixture()
	st.scopes[0].Enabled, st.scopes[0].disabling = false, true // disabled by another step of this round
	if _, err := DeleteScopeAndURI(scopeA, "", new([]string)).Step(st); !errors.Is(err, ErrDeferred) {
		t.Errorf("deleting a scope disabled in the round: %v, want ErrDeferred", err)
	}
}
