package directory_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// A state file keeps the deleted items (restorable, URIs reserved) and the app management policy.
func TestSnapshotKeepsDeletedItemsAndPolicy(t *testing.T) {
	d, _ := newDir(t)
	rec := create(t, d, "gone", "api://gone")
	if err := d.Delete(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary); err != nil {
		t.Fatal(err)
	}
	if err := d.SetAppManagementPolicyJSON(`{"isEnabled":true,"applicationRestrictions":{"identifierUris":{"nonDefaultUriAddition":{"state":"enabled"}}}}`); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(d.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := restoredDir(t, raw)
	if _, err := d2.DeletedApplication(rec.Application.ID); err != nil {
		t.Fatalf("deleted item lost: %v", err)
	}
	if _, err := d2.Create(directory.Record{Application: directory.Application{DisplayName: strp("x"), IdentifierURIs: []string{"api://gone"}}}); !errors.Is(err, directory.ErrIdentifierURIConflict) {
		t.Fatalf("reserved URI: %v", err)
	}
	if p := d2.AppManagementPolicy(); !p.IsEnabled || p.ApplicationRestrictions.IdentifierURIs.NonDefaultURIAddition == nil {
		t.Fatalf("policy lost: %+v", p)
	}
	restored, err := d2.RestoreDeleted(rec.Application.ID)
	if err != nil || restored.Application.DeletedDateTime != nil || restored.Application.AppID != rec.Application.AppID {
		t.Fatalf("restore: %+v %v", restored, err)
	}
}

// HardDelete (the admin API) frees the identifier URIs at once.
func TestHardDeleteKeepsNothing(t *testing.T) {
	d, _ := newDir(t)
	rec := create(t, d, "gone", "api://gone")
	if err := d.HardDelete(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary); err != nil {
		t.Fatal(err)
	}
	if len(d.DeletedApplications()) != 0 {
		t.Fatal("hard delete kept a deleted item")
	}
	if _, err := d.Create(directory.Record{Application: directory.Application{DisplayName: strp("x"), IdentifierURIs: []string{"api://gone"}}}); err != nil {
		t.Fatal(err)
	}
}
