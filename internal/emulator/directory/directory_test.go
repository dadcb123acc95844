package directory_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
)

func newDir(t *testing.T) (*directory.Directory, *emutest.Clock) {
	t.Helper()
	clk := emutest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	d := directory.New(directory.Config{TenantID: "fcb2b37b-5da0-466b-9b83-0014b67a7c78", Now: clk.Now, RandSeed: 7})
	return d, clk
}

func strp(s string) *string { return &s }

// create creates an application named name with the identifier URIs.
func create(t *testing.T, d *directory.Directory, name string, uris ...string) *directory.Record {
	t.Helper()
	rec, err := d.Create(directory.Record{Application: directory.Application{DisplayName: strp(name), IdentifierURIs: uris}})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// restoredDir is a new directory restored from a snapshot's JSON, and the snapshot.
func restoredDir(t *testing.T, raw []byte) (*directory.Directory, directory.Snapshot) {
	t.Helper()
	var snap directory.Snapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		t.Fatal(err)
	}
	d, _ := newDir(t)
	if err := d.Restore(snap); err != nil {
		t.Fatal(err)
	}
	return d, snap
}

func TestCreateGeneratesIDsAndDefaultShape(t *testing.T) {
	d, _ := newDir(t)
	rec, err := d.Create(directory.Record{Application: directory.Application{DisplayName: strp("agent")}, Secrets: []directory.Secret{{Value: "s3cret-value"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !directory.IsGUID(rec.Application.ID) || !directory.IsGUID(rec.Application.AppID) || !directory.IsGUID(rec.ServicePrincipalID) {
		t.Fatalf("ids not generated: %+v", rec)
	}
	if rec.Version != 1 {
		t.Fatalf("version = %d, want 1", rec.Version)
	}
	raw, err := json.Marshal(rec.Application)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"identifierUris":[]`, `"oauth2PermissionScopes":[]`, `"preAuthorizedApplications":[]`, `"tags":[]`, `"redirectUris":[]`, `"hint":"s3c"`, `"secretText":null`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("default shape lacks %s: %s", want, raw)
		}
	}
	if strings.Contains(string(raw), "s3cret-value") {
		t.Fatal("the Graph document leaks the secret value")
	}
}

func TestMergeKeepsAbsentAPISubPropertiesAndReplacesLists(t *testing.T) {
	app := directory.Application{ID: "11111111-1111-4111-8111-111111111111", AppID: "22222222-2222-4222-8222-222222222222"}
	app.API.OAuth2PermissionScopes = []directory.PermissionScope{{ID: "33333333-3333-4333-8333-333333333333", IsEnabled: true, Value: strp("access_as_client"), Type: strp("User")}}
	app.IdentifierURIs = []string{"api://a", "api://b"}
	app.Normalize()

	merged, err := directory.Merge(app, []byte(`{"@odata.type":"#microsoft.graph.application","api":{"@odata.type":"#microsoft.graph.apiApplication","preAuthorizedApplications":[{"appId":"44444444-4444-4444-8444-444444444444","delegatedPermissionIds":["33333333-3333-4333-8333-333333333333"]}]},"identifierUris":["api://c"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.API.OAuth2PermissionScopes) != 1 {
		t.Fatalf("scopes lost by a PATCH that did not send them: %+v", merged.API)
	}
	if len(merged.API.PreAuthorizedApplications) != 1 {
		t.Fatalf("preAuthorizedApplications not applied: %+v", merged.API)
	}
	if got := merged.IdentifierURIs; len(got) != 1 || got[0] != "api://c" {
		t.Fatalf("identifierUris = %v, want the sent list only", got)
	}
	if len(app.API.PreAuthorizedApplications) != 0 {
		t.Fatal("Merge modified its input")
	}
}

func TestMergeRejectsUnknownReadOnlyAndMistypedProperties(t *testing.T) {
	app := directory.Application{ID: "11111111-1111-4111-8111-111111111111", AppID: "22222222-2222-4222-8222-222222222222"}
	app.Normalize()
	cases := map[string]string{
		`{"bogus":1}`: "Property 'bogus' does not exist",
		`{"appId":"99999999-2222-4222-8222-222222222222"}`:   "read-only",
		`{"identifierUris":"api://x"}`:                       "Invalid value for property 'identifierUris'",
		`{"api":{"oauth2PermissionScopes":[{"nope":true}]}}`: "Property 'nope' does not exist",
	}
	for body, want := range cases {
		_, err := directory.Merge(app, []byte(body))
		var pe *directory.PatchError
		if !errors.As(err, &pe) || !strings.Contains(pe.Message, want) {
			t.Errorf("Merge(%s) = %v, want PatchError containing %q", body, err, want)
		}
	}
	if _, err := directory.Merge(app, []byte(`{"api":`)); !errors.Is(err, directory.ErrMalformedBody) {
		t.Errorf("malformed JSON: got %v, want ErrMalformedBody", err)
	}
	// Repeating a read-only value unchanged is accepted.
	if _, err := directory.Merge(app, []byte(`{"appId":"22222222-2222-4222-8222-222222222222"}`)); err != nil {
		t.Errorf("repeating appId: %v", err)
	}
}

func TestReplicaServesStaleVersionsWithinLag(t *testing.T) {
	d, clk := newDir(t)
	d.SetReplication(10*time.Second, 1)
	rec, err := d.Create(directory.Record{Application: directory.Application{DisplayName: strp("v1")}})
	if err != nil {
		t.Fatal(err)
	}
	id := rec.Application.ID
	if _, err := d.Get(id, directory.Replica); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("replica read right after create: %v, want ErrNotFound", err)
	}
	if _, err := d.Get(id, directory.Primary); err != nil {
		t.Fatalf("primary read: %v", err)
	}
	clk.Advance(11 * time.Second)
	_, err = d.Update(directory.Ref{ObjectID: id}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		next := cur.Clone()
		next.Application.DisplayName = strp("v2")
		return next, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Get(id, directory.Replica)
	if err != nil || *got.Application.DisplayName != "v1" {
		t.Fatalf("replica read after update = %v, %v; want stale v1", got, err)
	}
	if got, _ := d.GetByAppID(strings.ToUpper(rec.Application.AppID), directory.Primary); *got.Application.DisplayName != "v2" {
		t.Fatalf("primary read by appId = %s, want v2", *got.Application.DisplayName)
	}
	clk.Advance(10 * time.Second)
	if got, _ := d.Get(id, directory.Replica); *got.Application.DisplayName != "v2" {
		t.Fatalf("replica read after the lag = %s, want v2", *got.Application.DisplayName)
	}
	if err := d.Delete(directory.Ref{AppID: rec.Application.AppID}, directory.Primary); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(id, directory.Replica); err != nil {
		t.Fatalf("replica read right after delete should still see the object: %v", err)
	}
	clk.Advance(10 * time.Second)
	if _, err := d.Get(id, directory.Replica); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("replica read after the lag: %v, want ErrNotFound", err)
	}
}

func TestReplicaStalenessIsSeededAndProbabilistic(t *testing.T) {
	sequence := func() string {
		d, _ := newDir(t)
		d.SetReplication(time.Minute, 0.5)
		rec, err := d.Create(directory.Record{})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range 64 {
			if _, err := d.Get(rec.Application.ID, directory.Replica); err != nil {
				b.WriteByte('s')
			} else {
				b.WriteByte('f')
			}
		}
		return b.String()
	}
	a, b := sequence(), sequence()
	if a != b {
		t.Fatalf("same seed, different stale sequences:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "s") || !strings.Contains(a, "f") {
		t.Fatalf("probability 0.5 should give both stale and fresh reads: %s", a)
	}
}

func TestIdentifierURIsAreUniqueAcrossTheTenant(t *testing.T) {
	d, _ := newDir(t)
	if _, err := d.Create(directory.Record{Application: directory.Application{IdentifierURIs: []string{"api://shared"}}}); err != nil {
		t.Fatal(err)
	}
	_, err := d.Create(directory.Record{Application: directory.Application{IdentifierURIs: []string{"API://Shared"}}})
	if !errors.Is(err, directory.ErrIdentifierURIConflict) {
		t.Fatalf("duplicate identifier URI: %v, want ErrIdentifierURIConflict", err)
	}
	other, err := d.Create(directory.Record{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Update(directory.Ref{ObjectID: other.Application.ID}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		next := cur.Clone()
		next.Application.IdentifierURIs = []string{"api://shared"}
		return next, nil
	})
	if !errors.Is(err, directory.ErrIdentifierURIConflict) {
		t.Fatalf("update to a taken identifier URI: %v, want ErrIdentifierURIConflict", err)
	}
}

func TestCreateRejectsDuplicateIDs(t *testing.T) {
	d, _ := newDir(t)
	rec, err := d.Create(directory.Record{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create(directory.Record{Application: directory.Application{AppID: rec.Application.AppID}}); !errors.Is(err, directory.ErrConflict) {
		t.Fatalf("duplicate appId: %v", err)
	}
	if _, err := d.Create(directory.Record{ServicePrincipalID: rec.ServicePrincipalID}); !errors.Is(err, directory.ErrConflict) {
		t.Fatalf("duplicate service principal id: %v", err)
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	d, _ := newDir(t)
	rec, err := d.Create(directory.Record{
		Application: directory.Application{DisplayName: strp("agent"), IdentifierURIs: []string{"api://x"}},
		Secrets:     []directory.Secret{{Value: "plain"}},
		Owners:      []string{"55555555-5555-4555-8555-555555555555"},
		GraphRoles:  []string{"Application.ReadWrite.All"},
		Federated:   []directory.FederatedCredential{{Issuer: "https://issuer", Subject: "repo:x", Audiences: []string{"api://AzureADTokenExchange"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := d.Snapshot().MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	d2, snap := restoredDir(t, raw)
	got, err := d2.Get(rec.Application.ID, directory.Replica)
	if err != nil {
		t.Fatal(err)
	}
	if got.Secrets[0].Value != "plain" || !got.IsOwner("55555555-5555-4555-8555-555555555555") || !got.HasGraphRole("application.readwrite.all") || got.Federated[0].Subject != "repo:x" {
		t.Fatalf("restored record differs: %+v", got)
	}
	snap.Applications = append(snap.Applications, snap.Applications[0])
	if err := d2.Restore(snap); !errors.Is(err, directory.ErrConflict) {
		t.Fatalf("restore with duplicates: %v, want ErrConflict", err)
	}
}

// Graph answers GUIDs in lower case whatever case they were written in; the emulator stores them so,
// which makes a client that sent upper case see the difference it would see against Graph.
func TestWritesStoreGUIDsInLowerCase(t *testing.T) {
	d, _ := newDir(t)
	rec, err := d.Create(directory.Record{
		Application:        directory.Application{ID: "AAAAAAAA-1111-4111-8111-111111111111", AppID: "BbBbBbBb-2222-4222-8222-222222222222"},
		ServicePrincipalID: "CCCCCCCC-3333-4333-8333-333333333333",
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Application.ID != "aaaaaaaa-1111-4111-8111-111111111111" || rec.Application.AppID != "bbbbbbbb-2222-4222-8222-222222222222" ||
		rec.ServicePrincipalID != "cccccccc-3333-4333-8333-333333333333" {
		t.Fatalf("created ids not lower case: %s %s %s", rec.Application.ID, rec.Application.AppID, rec.ServicePrincipalID)
	}
	rec, err = d.Update(directory.Ref{ObjectID: "AAAAAAAA-1111-4111-8111-111111111111"}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		next := cur.Clone()
		next.Application.API.OAuth2PermissionScopes = []directory.PermissionScope{{ID: "DDDDDDDD-4444-4444-8444-444444444444", IsEnabled: true, Value: strp("Access_As_Client"), Type: strp("User")}}
		next.Application.API.PreAuthorizedApplications = []directory.PreAuthorizedApp{{AppID: "EeEeEeEe-5555-4555-8555-555555555555", DelegatedPermissionIDs: []string{"DDDDDDDD-4444-4444-8444-444444444444"}}}
		next.Application.API.KnownClientApplications = []string{"FFFFFFFF-6666-4666-8666-666666666666"}
		return next, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	api := rec.Application.API
	if api.OAuth2PermissionScopes[0].ID != "dddddddd-4444-4444-8444-444444444444" ||
		api.PreAuthorizedApplications[0].AppID != "eeeeeeee-5555-4555-8555-555555555555" ||
		api.PreAuthorizedApplications[0].DelegatedPermissionIDs[0] != "dddddddd-4444-4444-8444-444444444444" ||
		api.KnownClientApplications[0] != "ffffffff-6666-4666-8666-666666666666" {
		t.Fatalf("updated GUIDs not lower case: %+v", api)
	}
	if *api.OAuth2PermissionScopes[0].Value != "Access_As_Client" {
		t.Fatalf("a scope value is not a GUID and keeps its case, got %q", *api.OAuth2PermissionScopes[0].Value)
	}
}
