package directory

import (
	"crypto/sha1" //nolint:gosec // Graph's customKeyIdentifier is the certificate's SHA-1 thumbprint.
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Snapshot is the directory's latest state in a JSON-friendly form, as kept in a state file.
type Snapshot struct {
	TenantID        string   `json:"tenantId"`
	VerifiedDomains []string `json:"verifiedDomains"`
	Applications    []Record `json:"applications"`
	// DeletedItems are the soft-deleted applications (deleteditems.go).
	DeletedItems []DeletedRecord `json:"deletedItems,omitempty"`
	// AppManagementPolicy is the tenant's default app management policy; nil is the default (policy.go).
	AppManagementPolicy *AppManagementPolicy `json:"defaultAppManagementPolicy,omitempty"`
	Users               []User               `json:"users,omitempty"`
}

// Snapshot returns the latest state of every application (stale replica versions are not included).
func (d *Directory) Snapshot() Snapshot {
	d.mu.RLock()
	defer d.mu.RUnlock()
	recs := d.latestLocked()
	sortRecords(recs)
	out := Snapshot{TenantID: d.tenantID, VerifiedDomains: append([]string{}, d.verifiedDomains...), Applications: make([]Record, 0, len(recs))}
	for _, r := range recs {
		out.Applications = append(out.Applications, r.Clone())
	}
	for _, item := range d.deleted {
		out.DeletedItems = append(out.DeletedItems, DeletedRecord{Record: item.Record.Clone(), DeletedAt: item.DeletedAt})
	}
	sort.Slice(out.DeletedItems, func(i, j int) bool {
		return out.DeletedItems[i].Record.Application.ID < out.DeletedItems[j].Record.Application.ID
	})
	if d.policy != nil {
		p := d.policy.clone()
		out.AppManagementPolicy = &p
	}
	if users := d.Users(); len(users) > 0 {
		out.Users = users
	}
	return out
}

// Restore replaces the directory's content with the snapshot. Replica history is dropped: every restored
// record is immediately visible to every read. Versions and timestamps are kept as recorded.
func (d *Directory) Restore(s Snapshot) error {
	now := d.now()
	objects := map[string]*history{}
	byAppID := map[string][]string{}
	spIDs := map[string]bool{}
	uris := map[string]string{}
	for i := range s.Applications {
		r := s.Applications[i].Clone()
		if !IsGUID(r.Application.ID) || !IsGUID(r.Application.AppID) || !IsGUID(r.ServicePrincipalID) {
			return fmt.Errorf("restore application %d (%q): id, appId and servicePrincipalId must be GUIDs", i, r.Application.ID)
		}
		key := strings.ToLower(r.Application.ID)
		appKey := strings.ToLower(r.Application.AppID)
		spKey := strings.ToLower(r.ServicePrincipalID)
		if _, dup := objects[key]; dup {
			return fmt.Errorf("restore application %d: %w: object id %s", i, ErrConflict, r.Application.ID)
		}
		if len(byAppID[appKey]) > 0 {
			return fmt.Errorf("restore application %d: %w: appId %s", i, ErrConflict, r.Application.AppID)
		}
		if spIDs[spKey] {
			return fmt.Errorf("restore application %d: %w: service principal id %s", i, ErrConflict, r.ServicePrincipalID)
		}
		for _, u := range r.Application.IdentifierURIs {
			if other, dup := uris[strings.ToLower(u)]; dup {
				return fmt.Errorf("restore application %d: %w: %s is also used by %s", i, ErrIdentifierURIConflict, u, other)
			}
			uris[strings.ToLower(u)] = r.Application.ID
		}
		for j := range r.Certificates {
			r.Certificates[j].Parsed = nil
		}
		if err := prepare(&r, now); err != nil {
			return fmt.Errorf("restore application %d: %w", i, err)
		}
		if r.Version == 0 {
			r.Version = 1
		}
		if r.UpdatedAt.IsZero() || r.UpdatedAt.After(now) {
			r.UpdatedAt = now
		}
		// The replica lag does not apply to restored state: place the version before any horizon.
		objects[key] = &history{versions: []version{{at: time.Time{}, rec: &r}}}
		byAppID[appKey] = []string{r.Application.ID}
		spIDs[spKey] = true
	}
	deleted := map[string]*DeletedRecord{}
	for i, item := range s.DeletedItems {
		r := item.Record.Clone()
		key := strings.ToLower(r.Application.ID)
		if !IsGUID(r.Application.ID) || objects[key] != nil || deleted[key] != nil {
			return fmt.Errorf("restore deleted item %d (%q): %w: object id", i, r.Application.ID, ErrConflict)
		}
		for j := range r.Certificates {
			r.Certificates[j].Parsed = nil
		}
		if err := prepare(&r, now); err != nil {
			return fmt.Errorf("restore deleted item %d: %w", i, err)
		}
		deleted[key] = &DeletedRecord{Record: r, DeletedAt: item.DeletedAt}
	}
	var policy *AppManagementPolicy
	if s.AppManagementPolicy != nil {
		p := s.AppManagementPolicy.clone()
		policy = &p
	}
	if err := d.restoreUsers(s.Users); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deleted = deleted
	d.policy = policy
	if s.TenantID != "" {
		d.tenantID = s.TenantID
	}
	d.verifiedDomains = append([]string{}, s.VerifiedDomains...)
	d.objects = objects
	d.byAppID = byAppID
	return nil
}

// MarshalIndent encodes the snapshot with indentation, for readable state files.
func (s Snapshot) MarshalIndent() ([]byte, error) {
	type plain Snapshot
	out, err := json.MarshalIndent(plain(s), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal directory snapshot: %w", err)
	}
	return out, nil
}

// ParseCertificatePEM parses the first CERTIFICATE block of a PEM document.
func ParseCertificatePEM(text string) (*x509.Certificate, error) {
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM CERTIFICATE block found")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		return cert, nil
	}
}

func thumbprintHex(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw) //nolint:gosec // See the import comment.
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
