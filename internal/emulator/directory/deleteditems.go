package directory

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Deleted applications (Microsoft Graph /directory/deletedItems). Microsoft Learn, "Delete application":
// a deleted application "is moved to a temporary container and can be restored within 30 days. After
// that time, they're permanently deleted." While it is there its identifier URIs stay reserved ("Another
// object with the same value for property identifierUris already exists."), and "Restore deleted item"
// brings it back as it was.

// DeletedRetention is how long a deleted application can be restored.
const DeletedRetention = 30 * 24 * time.Hour

// ErrRestoreConflict means a deleted application cannot be restored because a live object took one of its
// unique values in the meantime.
var ErrRestoreConflict = errors.New("directory: restoring would duplicate a unique value")

// DeletedRecord is a soft-deleted application.
type DeletedRecord struct {
	Record Record `json:"record"`
	// DeletedAt is when it was deleted; it is purged DeletedRetention later.
	DeletedAt time.Time `json:"deletedAt"`
}

// softDeleteLocked moves the latest version of the application to the deleted items. Caller holds d.mu.
func (d *Directory) softDeleteLocked(rec *Record, now time.Time) {
	gone := rec.Clone()
	gone.Application.DeletedDateTime = ptr(now.UTC().Format(time.RFC3339))
	if d.deleted == nil {
		d.deleted = map[string]*DeletedRecord{}
	}
	d.deleted[strings.ToLower(gone.Application.ID)] = &DeletedRecord{Record: gone, DeletedAt: now}
}

// purgeDeletedLocked drops deleted applications older than the retention. Caller holds d.mu.
func (d *Directory) purgeDeletedLocked(now time.Time) {
	for k, item := range d.deleted {
		if now.Sub(item.DeletedAt) >= DeletedRetention {
			delete(d.deleted, k)
		}
	}
}

// DeletedApplications returns the soft-deleted applications, most recently deleted first.
func (d *Directory) DeletedApplications() []*Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.purgeDeletedLocked(d.now())
	items := make([]*DeletedRecord, 0, len(d.deleted))
	for _, item := range d.deleted {
		items = append(items, item)
	}
	sort.Slice(items, func(i, j int) bool {
		if !items[i].DeletedAt.Equal(items[j].DeletedAt) {
			return items[i].DeletedAt.After(items[j].DeletedAt)
		}
		return items[i].Record.Application.ID < items[j].Record.Application.ID
	})
	out := make([]*Record, len(items))
	for i, item := range items {
		r := item.Record.Clone()
		out[i] = &r
	}
	return out
}

// DeletedApplication returns the soft-deleted application with the object id.
func (d *Directory) DeletedApplication(objectID string) (*Record, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.purgeDeletedLocked(d.now())
	item, ok := d.deleted[strings.ToLower(objectID)]
	if !ok {
		return nil, ErrNotFound
	}
	r := item.Record.Clone()
	return &r, nil
}

// RestoreDeleted brings a soft-deleted application back as it was (same ids, owners, credentials, grants)
// and returns it. It fails with ErrNotFound when there is no such deleted application and with
// ErrRestoreConflict when a live application now holds its appId or one of its identifier URIs.
func (d *Directory) RestoreDeleted(objectID string) (*Record, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.pruneLocked(now)
	key := strings.ToLower(objectID)
	item, ok := d.deleted[key]
	if !ok {
		return nil, ErrNotFound
	}
	r := item.Record.Clone()
	r.Application.DeletedDateTime = nil
	if _, err := d.getByAppIDLocked(r.Application.AppID, now); err == nil {
		return nil, fmt.Errorf("%w: appId %s", ErrRestoreConflict, r.Application.AppID)
	}
	if err := d.checkIdentifierURIsLocked(&r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRestoreConflict, err)
	}
	delete(d.deleted, key)
	if err := prepare(&r, now); err != nil {
		d.deleted[key] = item
		return nil, err
	}
	r.Version++
	r.UpdatedAt = now
	d.addVersionLocked(&r, now)
	return &r, nil
}

// PurgeDeleted permanently deletes a soft-deleted application.
func (d *Directory) PurgeDeleted(objectID string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := strings.ToLower(objectID)
	if _, ok := d.deleted[key]; !ok {
		return ErrNotFound
	}
	delete(d.deleted, key)
	return nil
}

// HardDelete removes the referenced application at once, without keeping it in the deleted items (the
// admin API's delete, for tests that need the application and its identifier URIs gone).
func (d *Directory) HardDelete(ref Ref, c Consistency) error {
	return d.delete(ref, c, false)
}
