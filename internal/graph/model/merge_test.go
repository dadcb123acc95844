package model

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// marked is an entry as read whose JSON is only a name, so the tests can check that entries the
// logic does not own keep their original raw value (and with it every property the package does
// not model).
func marked[T any](name string) readEntry[T] { return readEntry[T]{json: []byte(`"` + name + `"`)} }

const (
	scopeA  = "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"
	scopeB  = "b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2"
	client1 = "aaaaaaaa-0000-0000-0000-000000000001"
	client2 = "aaaaaaaa-0000-0000-0000-000000000002"
	client3 = "aaaaaaaa-0000-0000-0000-000000000003"
)

// colAll names every collection.
const colAll = ColURIs | ColScopes | ColPreAuth

// fixture returns an application with an enabled managed scope A, an unmanaged scope B, and three
// pre-authorized clients: client1 (A and B), client2 (B only) and client3 (an empty entry).
func fixture() *State {
	return &State{
		ObjectID: "obj",
		AppID:    "app",
		uris:     []string{"api://app", "https://example.com/other"},
		scopes: []scopeEntry{
			{PermissionScope: PermissionScope{ID: scopeA, Value: "access_as_client", Type: ScopeTypeUser, AdminConsentDisplayName: "Access", Enabled: true}, raw: marked[PermissionScope]("scopeA")},
			{PermissionScope: PermissionScope{ID: scopeB, Value: "other", Type: ScopeTypeAdmin, Enabled: true}, raw: marked[PermissionScope]("scopeB")},
		},
		preAuth: []preAuthEntry{
			{PreAuthorizedApplication: PreAuthorizedApplication{AppID: client1, DelegatedPermissionIDs: []string{scopeA, scopeB}}, raw: marked[PreAuthorizedApplication]("client1")},
			{PreAuthorizedApplication: PreAuthorizedApplication{AppID: client2, DelegatedPermissionIDs: []string{scopeB}}, raw: marked[PreAuthorizedApplication]("client2")},
			{PreAuthorizedApplication: PreAuthorizedApplication{AppID: client3, DelegatedPermissionIDs: []string{}}, raw: marked[PreAuthorizedApplication]("client3")},
		},
	}
}

func TestClone_IsDeep(t *testing.T) {
	st := fixture()
	c := st.Clone()
	c.uris[0] = "changed"
	c.scopes[0].Enabled = false
	c.preAuth[0].DelegatedPermissionIDs[0] = "changed"
	if !reflect.DeepEqual(st, fixture()) {
		t.Fatalf("editing the Clone changed the original: %+v", st)
	}
}

func TestEnsureIdentifierURI(t *testing.T) {
	st := fixture()
	if EnsureIdentifierURI(st, "API://APP") {
		t.Fatal("a URI differing only in case was added again")
	}
	if !EnsureIdentifierURI(st, "api://new") {
		t.Fatal("a new URI was not added")
	}
	want := []string{"api://app", "https://example.com/other", "api://new"}
	if !reflect.DeepEqual(st.uris, want) {
		t.Fatalf("uris = %q, want %q", st.uris, want)
	}
}

func TestRemoveIdentifierURI(t *testing.T) {
	st := fixture()
	if !RemoveIdentifierURI(st, "API://app") {
		t.Fatal("URI not removed")
	}
	if RemoveIdentifierURI(st, "api://app") {
		t.Fatal("second removal reported a change")
	}
	if want := []string{"https://example.com/other"}; !reflect.DeepEqual(st.uris, want) {
		t.Fatalf("uris = %q, want %q", st.uris, want)
	}
}

func TestCreateScope(t *testing.T) {
	st := fixture()
	newID := "33333333-3333-3333-3333-333333333333"
	if err := CreateScope(st, PermissionScope{ID: newID, Value: "third", Type: ScopeTypeUser, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if len(st.scopes) != 3 || st.scopes[2].ID != newID || st.scopes[2].raw.json != nil {
		t.Fatalf("scope not appended as a new entry: %+v", st.scopes)
	}
	if !st.scopes[2].created {
		t.Fatal("new scope not recorded as created in this round")
	}
	want := fixture()
	if !reflect.DeepEqual(st.scopes[:2], want.scopes) {
		t.Fatal("existing scopes changed")
	}

	cases := []struct {
		name  string
		scope PermissionScope
	}{
		{"same value other case", PermissionScope{ID: "44444444-4444-4444-4444-444444444444", Value: "ACCESS_AS_CLIENT"}},
		{"same id other case", PermissionScope{ID: strings.ToUpper(scopeA), Value: "different"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := fixture()
			err := CreateScope(st, tc.scope)
			if !errors.Is(err, ErrScopeExists) || err.Error() != `permission scope "access_as_client" already exists with id `+scopeA {
				t.Fatalf("err = %v, want ErrScopeExists naming the existing scope %s", err, scopeA)
			}
			if !reflect.DeepEqual(st, fixture()) {
				t.Fatal("state changed on error")
			}
		})
	}
}

func TestUpdateScopeStep_TextsAndEnabledInPlace(t *testing.T) {
	st := fixture()
	want := st.scopes[0].PermissionScope
	want.ID = strings.ToUpper(scopeA)
	want.AdminConsentDescription = "new description"
	want.UserConsentDisplayName = "user title"
	done, err := UpdateScopeStep(st, want)
	if err != nil || !done {
		t.Fatalf("done=%v err=%v, want done in one step", done, err)
	}
	got := st.scopes[0]
	if !got.Enabled || got.AdminConsentDescription != "new description" || got.UserConsentDisplayName != "user title" {
		t.Fatalf("scope = %+v", got.PermissionScope)
	}
	if string(got.raw.json) != `"scopeA"` {
		t.Fatal("raw model of the edited scope lost")
	}
	if !reflect.DeepEqual(st.scopes[1], fixture().scopes[1]) || !reflect.DeepEqual(st.preAuth, fixture().preAuth) {
		t.Fatal("unmanaged entries changed")
	}
}

func TestUpdateScopeStep_ValueChangeDisablesFirst(t *testing.T) {
	st := fixture()
	want := st.scopes[0].PermissionScope
	want.Value = "renamed"
	want.AdminConsentDescription = "d"

	done, err := UpdateScopeStep(st, want)
	if err != nil || done {
		t.Fatalf("step 1: done=%v err=%v", done, err)
	}
	if s := st.scopes[0]; s.Enabled || s.Value != "access_as_client" || s.AdminConsentDescription != "" {
		t.Fatalf("step 1 must only disable: %+v", s.PermissionScope)
	}

	// Within the round that disables it, the change waits: Graph still holds the scope enabled.
	if done, err = UpdateScopeStep(st, want); !errors.Is(err, ErrDeferred) || done {
		t.Fatalf("step 2 in the disabling round: done=%v err=%v, want deferred", done, err)
	}
	if s := st.scopes[0]; s.Value != "access_as_client" {
		t.Fatalf("a deferred step changed the scope: %+v", s.PermissionScope)
	}

	st.NewRound() // the disable is confirmed
	done, err = UpdateScopeStep(st, want)
	if err != nil || done {
		t.Fatalf("step 2: done=%v err=%v", done, err)
	}
	if s := st.scopes[0]; s.Enabled || s.Value != "renamed" || s.AdminConsentDescription != "d" {
		t.Fatalf("step 2 must change while disabled: %+v", s.PermissionScope)
	}

	done, err = UpdateScopeStep(st, want)
	if err != nil || !done {
		t.Fatalf("step 3: done=%v err=%v", done, err)
	}
	if s := st.scopes[0]; !s.Enabled || s.Value != "renamed" {
		t.Fatalf("step 3 must re-enable: %+v", s.PermissionScope)
	}
}

func TestUpdateScopeStep_TypeChangeOfDisabledScopeStaysDisabled(t *testing.T) {
	st := fixture()
	st.scopes[0].Enabled = false
	want := st.scopes[0].PermissionScope
	want.Type = ScopeTypeAdmin
	done, err := UpdateScopeStep(st, want)
	if err != nil || !done {
		t.Fatalf("done=%v err=%v, want one step", done, err)
	}
	if s := st.scopes[0]; s.Enabled || s.Type != ScopeTypeAdmin {
		t.Fatalf("scope = %+v", s.PermissionScope)
	}
}

func TestUpdateScopeStep_Errors(t *testing.T) {
	st := fixture()
	_, err := UpdateScopeStep(st, PermissionScope{ID: "99999999-9999-9999-9999-999999999999"})
	if !errors.Is(err, ErrScopeNotFound) || err.Error() != "permission scope 99999999-9999-9999-9999-999999999999 not found on the application" {
		t.Fatalf("err = %v, want ErrScopeNotFound", err)
	}
	want := st.scopes[0].PermissionScope
	want.Value = "OTHER"
	_, err = UpdateScopeStep(st, want)
	if !errors.Is(err, ErrScopeExists) || err.Error() != `permission scope "other" already exists with id `+scopeB {
		t.Fatalf("err = %v, want ErrScopeExists for scope B", err)
	}
	if !reflect.DeepEqual(st, fixture()) {
		t.Fatal("state changed on error")
	}
}

func TestDeleteScopeStep_Sequencing(t *testing.T) {
	st := fixture()
	var cleared []string

	// Step 1: references only; client1 keeps scope B, no entry disappears except those emptied by us.
	if DeleteScopeStep(st, strings.ToUpper(scopeA), &cleared) {
		t.Fatal("step 1 reported done")
	}
	if !st.scopes[0].Enabled {
		t.Fatal("step 1 must not disable the scope yet")
	}
	wantPre := fixture().preAuth
	wantPre[0].DelegatedPermissionIDs = []string{scopeB}
	if !reflect.DeepEqual(st.preAuth, wantPre) {
		t.Fatalf("preAuth after step 1 = %+v", st.preAuth)
	}
	if !reflect.DeepEqual(cleared, []string{client1}) {
		t.Fatalf("cleared = %q", cleared)
	}

	// Step 2: disable.
	if DeleteScopeStep(st, scopeA, &cleared) {
		t.Fatal("step 2 reported done")
	}
	if st.scopes[0].Enabled || len(st.scopes) != 2 {
		t.Fatalf("step 2 must disable only: %+v", st.scopes)
	}

	// Not in the round that disabled it: Graph still holds it enabled.
	if DeleteScopeStep(st, scopeA, &cleared) || len(st.scopes) != 2 {
		t.Fatalf("removed in the disabling round: %+v", st.scopes)
	}

	// Step 3: remove.
	st.NewRound()
	if !DeleteScopeStep(st, scopeA, &cleared) {
		t.Fatal("step 3 not done")
	}
	if len(st.scopes) != 1 || !reflect.DeepEqual(st.scopes[0], fixture().scopes[1]) {
		t.Fatalf("scopes after removal = %+v", st.scopes)
	}
	if !DeleteScopeStep(st, scopeA, &cleared) {
		t.Fatal("deleting a Missing scope is not done")
	}
	if !reflect.DeepEqual(cleared, []string{client1}) {
		t.Fatalf("cleared = %q", cleared)
	}
}

func TestDeleteScopeStep_RemovesEntriesItEmpties(t *testing.T) {
	st := fixture()
	var cleared []string
	DeleteScopeStep(st, scopeB, &cleared)
	// client1 keeps A; client2 had only B and goes; client3 was empty as read and stays.
	want := []preAuthEntry{fixture().preAuth[0], fixture().preAuth[2]}
	want[0].DelegatedPermissionIDs = []string{scopeA}
	if !reflect.DeepEqual(st.preAuth, want) {
		t.Fatalf("preAuth = %+v, want %+v", st.preAuth, want)
	}
	if !reflect.DeepEqual(cleared, []string{client1, client2}) {
		t.Fatalf("cleared = %q", cleared)
	}
}

func TestDeleteScopeStep_DisabledScopeWithoutReferencesGoesAtOnce(t *testing.T) {
	st := fixture()
	st.preAuth = nil
	st.scopes[0].Enabled = false
	var cleared []string
	if !DeleteScopeStep(st, scopeA, &cleared) || len(st.scopes) != 1 {
		t.Fatalf("scopes = %+v", st.scopes)
	}
}

func TestAddPreAuthorization(t *testing.T) {
	t.Run("new entry", func(t *testing.T) {
		st := fixture()
		newClient := "bbbbbbbb-0000-0000-0000-000000000009"
		if err := AddPreAuthorization(st, newClient, strings.ToUpper(scopeA)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st.preAuth[:3], fixture().preAuth) {
			t.Fatal("existing entries changed")
		}
		got := st.preAuth[3]
		if got.AppID != newClient || !reflect.DeepEqual(got.DelegatedPermissionIDs, []string{scopeA}) || got.raw.json != nil {
			t.Fatalf("new entry = %+v", got)
		}
	})
	t.Run("existing entry keeps other ids", func(t *testing.T) {
		st := fixture()
		if err := AddPreAuthorization(st, "AAAAAAAA-0000-0000-0000-000000000002", scopeA); err != nil {
			t.Fatal(err)
		}
		if got := st.preAuth[1]; got.AppID != client2 || !reflect.DeepEqual(got.DelegatedPermissionIDs, []string{scopeB, scopeA}) {
			t.Fatalf("entry = %+v", got)
		}
		if len(st.preAuth) != 3 {
			t.Fatalf("an entry was added instead of extended: %+v", st.preAuth)
		}
	})
	t.Run("already there", func(t *testing.T) {
		st := fixture()
		err := AddPreAuthorization(st, "AAAAAAAA-0000-0000-0000-000000000001", strings.ToUpper(scopeA))
		if !errors.Is(err, ErrPreAuthorizationExists) || err.Error() != "client application "+client1+" is already pre-authorized for permission "+scopeA {
			t.Fatalf("err = %v", err)
		}
		if !reflect.DeepEqual(st, fixture()) {
			t.Fatal("state changed on error")
		}
	})
	t.Run("unknown scope", func(t *testing.T) {
		st := fixture()
		err := AddPreAuthorization(st, client1, "99999999-9999-9999-9999-999999999999")
		if !errors.Is(err, ErrScopeNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("scope created in the same round waits", func(t *testing.T) {
		st := fixture()
		id := "33333333-3333-3333-3333-333333333333"
		if err := CreateScope(st, PermissionScope{ID: id, Value: "third"}); err != nil {
			t.Fatal(err)
		}
		if err := AddPreAuthorization(st, client1, id); !errors.Is(err, ErrDeferred) {
			t.Fatalf("err = %v, want ErrDeferred", err)
		}
		if !reflect.DeepEqual(st.preAuth, fixture().preAuth) {
			t.Fatal("deferred add changed the entries")
		}
	})
}

func TestRemovePreAuthorization(t *testing.T) {
	t.Run("keeps other ids", func(t *testing.T) {
		st := fixture()
		if !RemovePreAuthorization(st, "AAAAAAAA-0000-0000-0000-000000000001", strings.ToUpper(scopeA)) {
			t.Fatal("nothing removed")
		}
		want := fixture().preAuth
		want[0].DelegatedPermissionIDs = []string{scopeB}
		if !reflect.DeepEqual(st.preAuth, want) {
			t.Fatalf("preAuth = %+v", st.preAuth)
		}
	})
	t.Run("removes the entry it empties", func(t *testing.T) {
		st := fixture()
		if !RemovePreAuthorization(st, client2, scopeB) {
			t.Fatal("nothing removed")
		}
		want := []preAuthEntry{fixture().preAuth[0], fixture().preAuth[2]}
		if !reflect.DeepEqual(st.preAuth, want) {
			t.Fatalf("preAuth = %+v", st.preAuth)
		}
	})
	t.Run("already gone", func(t *testing.T) {
		st := fixture()
		if RemovePreAuthorization(st, client2, scopeA) || RemovePreAuthorization(st, "bbbbbbbb-0000-0000-0000-000000000009", scopeA) {
			t.Fatal("removal of something absent reported a change")
		}
		if RemovePreAuthorization(st, client3, scopeA) {
			t.Fatal("an empty entry was touched")
		}
		if !reflect.DeepEqual(st, fixture()) {
			t.Fatal("state changed")
		}
	})
}

func TestChangedCollections(t *testing.T) {
	base := fixture()
	if c := ChangedCollections(base, base.Clone()); c != 0 {
		t.Fatalf("Clone differs: %v", c)
	}
	st := base.Clone()
	if err := AddPreAuthorization(st, client3, scopeA); err != nil {
		t.Fatal(err)
	}
	if c := ChangedCollections(base, st); c != ColPreAuth {
		t.Fatalf("changed = %v, want preAuth only", c)
	}
	EnsureIdentifierURI(st, "api://x")
	st.scopes[1].Enabled = false
	if c := ChangedCollections(base, st); c != colAll {
		t.Fatalf("changed = %v, want all", c)
	}
}

func TestFacts(t *testing.T) {
	a := fixture()
	b := fixture()
	// Case and order do not matter.
	b.uris = []string{"https://example.com/other", "API://APP"}
	b.preAuth[0].AppID = "AAAAAAAA-0000-0000-0000-000000000001"
	b.preAuth[0].DelegatedPermissionIDs = []string{scopeB, strings.ToUpper(scopeA)}
	b.preAuth[0], b.preAuth[1] = b.preAuth[1], b.preAuth[0]
	if !sameFacts(facts(a, colAll), facts(b, colAll)) {
		t.Fatal("equal content has different facts")
	}
	// An empty entry is a fact of its own.
	b.preAuth = b.preAuth[:2]
	if sameFacts(facts(a, ColPreAuth), facts(b, ColPreAuth)) {
		t.Fatal("a Missing empty entry went unnoticed")
	}
	// Every scope field counts.
	c := fixture()
	c.scopes[0].UserConsentDescription = "x"
	if sameFacts(facts(a, ColScopes), facts(c, ColScopes)) {
		t.Fatal("a text change went unnoticed")
	}
	if !sameFacts(facts(a, ColPreAuth|ColURIs), facts(c, ColPreAuth|ColURIs)) {
		t.Fatal("facts of collections not asked for were included")
	}
}

func TestApplication_PlainView(t *testing.T) {
	st := fixture()
	app := st.Application()
	if app.ObjectID != "obj" || app.AppID != "app" || len(app.Scopes) != 2 || len(app.PreAuthorized) != 3 {
		t.Fatalf("app = %+v", app)
	}
	app.PreAuthorized[0].DelegatedPermissionIDs[0] = "changed"
	if st.preAuth[0].DelegatedPermissionIDs[0] != scopeA {
		t.Fatal("plain view shares slices with the state")
	}
	if s, ok := app.Scope(strings.ToUpper(scopeA)); !ok || s.Value != "access_as_client" {
		t.Fatal("Scope lookup is not case-insensitive")
	}
	if _, ok := app.PreAuthorization("AAAAAAAA-0000-0000-0000-000000000002"); !ok {
		t.Fatal("PreAuthorization lookup is not case-insensitive")
	}
	if s, ok := app.ScopeByValue("Other"); !ok || s.ID != scopeB {
		t.Fatal("ScopeByValue lookup failed")
	}
}

func TestReferencesResolve(t *testing.T) {
	st := fixture()
	if !ReferencesResolve(st) {
		t.Fatal("consistent references reported dangling")
	}
	st.preAuth[1].DelegatedPermissionIDs = append(st.preAuth[1].DelegatedPermissionIDs, "99999999-9999-4999-8999-999999999999")
	if ReferencesResolve(st) {
		t.Fatal("a dangling reference went unnoticed")
	}
}

// facts returns the observable facts of the named collections as a set of strings: one per
// identifier URI, one per scope (with every modelled field) and one per pre-authorized entry and
// per (entry, permission) pair. IDs and URIs are lower-cased so comparisons are case-insensitive;
// order is ignored. Two states show the same content of a collection when their facts are equal.
func facts(st *State, cols Collection) map[string]bool {
	f := make(map[string]bool)
	if cols&ColURIs != 0 {
		for _, u := range st.uris {
			f["uri\x00"+strings.ToLower(u)] = true
		}
	}
	if cols&ColScopes != 0 {
		for _, s := range st.scopes {
			f[ScopeFact(s.PermissionScope)] = true
		}
	}
	if cols&ColPreAuth != 0 {
		for _, p := range st.preAuth {
			app := strings.ToLower(p.AppID)
			f["pre\x00"+app] = true
			for _, id := range p.DelegatedPermissionIDs {
				f["pre\x00"+app+"\x00"+strings.ToLower(id)] = true
			}
		}
	}
	return f
}

// sameFacts reports whether a and b hold the same facts.
func sameFacts(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// The operations' steps and results, one row each.
func TestOps(t *testing.T) {
	if _, err := AddURI(" ", new(bool)); err == nil {
		t.Error("AddURI accepted an empty URI")
	}
	if _, err := PreAuthorize(client1, "", new(PreAuthorizedApplication)); err == nil {
		t.Error("PreAuthorize accepted an empty permission ID")
	}
	if _, err := ExposeScope("", &PermissionScope{ID: scopeA, Value: " "}, new(bool)); err == nil {
		t.Error("ExposeScope accepted an empty value")
	}
	var added, removed, uriAdded bool
	var written PermissionScope
	var entry PreAuthorizedApplication
	var cleared []string
	add, _ := AddURI("API://APP", &added)
	grant, _ := PreAuthorize(client2, scopeA, &entry)
	fresh := PermissionScope{ID: "c3c3c3c3-3333-4333-8333-c3c3c3c3c3c3", Value: "new", Enabled: true}
	expose, _ := ExposeScope("api://new", &fresh, &uriAdded)
	exists, _ := ExposeScope("", &PermissionScope{ID: "x", Value: "ACCESS_AS_CLIENT"}, &uriAdded)
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
		{expose, true, nil, func() bool { return uriAdded && fresh.Type == ScopeTypeUser }, true}, // of the type User unless set
		{exists, true, ErrScopeExists, func() bool { return !uriAdded }, false},
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
