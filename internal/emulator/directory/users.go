package directory

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// User is a user of the tenant, as far as the emulator needs one: an owner of applications, readable at
// /users/{id} and /directoryObjects/{id}. Users are seeded and do not change while the emulator runs.
type User struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	Mail              string `json:"mail,omitempty"`
}

// userStore holds the tenant's users.
type userStore struct {
	mu   sync.RWMutex
	byID map[string]User // lower-case id → user
}

// User returns the user with the object id.
func (d *Directory) User(id string) (User, bool) {
	d.users.mu.RLock()
	defer d.users.mu.RUnlock()
	u, ok := d.users.byID[strings.ToLower(id)]
	return u, ok
}

// Users returns every user, sorted by id.
func (d *Directory) Users() []User {
	d.users.mu.RLock()
	defer d.users.mu.RUnlock()
	out := make([]User, 0, len(d.users.byID))
	for _, u := range d.users.byID {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// restoreUsers validates and replaces the users (Restore).
func (d *Directory) restoreUsers(users []User) error {
	byID := make(map[string]User, len(users))
	for i, u := range users {
		if !IsGUID(u.ID) {
			return fmt.Errorf("restore user %d (%q): id must be a GUID", i, u.ID)
		}
		u.ID = strings.ToLower(u.ID)
		if _, dup := byID[u.ID]; dup {
			return fmt.Errorf("restore user %d: %w: object id %s", i, ErrConflict, u.ID)
		}
		byID[u.ID] = u
	}
	d.users.mu.Lock()
	defer d.users.mu.Unlock()
	d.users.byID = byID
	return nil
}

// DirectoryObject is what an object id names in the directory: a user, a service principal (with the
// application whose service principal it is) or an application.
type DirectoryObject struct {
	Kind string // "user", "servicePrincipal" or "application"
	User User
	// Record is the application of a servicePrincipal or application object.
	Record *Record
}

// Object kinds of DirectoryObject.
const (
	KindUser             = "user"
	KindServicePrincipal = "servicePrincipal"
	KindApplication      = "application"
)

// Object resolves an object id to a user, a service principal or an application, reading applications
// with consistency c.
func (d *Directory) Object(id string, c Consistency) (DirectoryObject, bool) {
	if u, ok := d.User(id); ok {
		return DirectoryObject{Kind: KindUser, User: u}, true
	}
	if rec, err := d.Get(id, c); err == nil {
		return DirectoryObject{Kind: KindApplication, Record: rec}, true
	}
	if rec, ok := d.ServicePrincipal(id, c); ok {
		return DirectoryObject{Kind: KindServicePrincipal, Record: rec}, true
	}
	return DirectoryObject{}, false
}

// ServicePrincipal returns the application whose service principal has the object id. A service
// principal no client has created yet, or one that was deleted (Record.ServicePrincipalPending), does
// not exist.
func (d *Directory) ServicePrincipal(id string, c Consistency) (*Record, bool) {
	for _, rec := range d.List(c) {
		if strings.EqualFold(rec.ServicePrincipalID, id) && !rec.ServicePrincipalPending {
			return rec, true
		}
	}
	return nil, false
}
