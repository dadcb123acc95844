// Package directory is the emulator's Entra ID tenant directory: applications in Microsoft Graph's shape,
// their service principals, owners, credentials and Microsoft Graph app-role grants.
//
// Every write creates a new immutable version of the record. Reads choose a consistency: Primary reads
// always see the latest write; Replica reads model Entra's replication — for a configurable lag after a
// write, a replica read may be served (with a configurable, seeded probability) from a replica that has
// not seen the write yet, so a just-created application can be missing and a just-patched list can show
// its old value.
package directory

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// Errors returned by the directory. Use errors.Is.
var (
	// ErrNotFound means no application matches the reference (in the view the read was served from).
	ErrNotFound = errors.New("directory: application not found")
	// ErrConflict means a create or update would duplicate an id, appId or service principal id.
	ErrConflict = errors.New("directory: object with the same identifier already exists")
	// ErrIdentifierURIConflict means an identifier URI is already used by another application of the tenant.
	ErrIdentifierURIConflict = errors.New("directory: identifier URI already used by another application")
)

// Consistency selects which copy of the directory a read is served from.
type Consistency int

const (
	// Primary reads always see the latest committed write.
	Primary Consistency = iota
	// Replica reads may be stale for the configured lag after a write (see SetReplication).
	Replica
)

// Secret is a client secret of an application, kept in plaintext (the emulator must check it).
type Secret struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName,omitempty"`
	Value       string    `json:"value"`
	Start       time.Time `json:"startDateTime"`
	End         time.Time `json:"endDateTime"`
}

// Certificate is a certificate registered on an application, used to verify client assertions.
type Certificate struct {
	KeyID       string            `json:"keyId"`
	DisplayName string            `json:"displayName,omitempty"`
	PEM         string            `json:"pem"`
	Parsed      *x509.Certificate `json:"-"`
}

// FederatedCredential trusts tokens from an external OIDC issuer with the given subject and audiences.
type FederatedCredential struct {
	Name      string   `json:"name,omitempty"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// Record is everything the directory knows about one application. Records returned by the directory are
// shared and must not be modified; use Clone for a private copy.
type Record struct {
	// Application is the Graph document. Its keyCredentials and passwordCredentials are derived from
	// Certificates and Secrets on every write.
	Application Application `json:"application"`
	// ServicePrincipalID is the object id of the application's service principal, the oid of its tokens.
	ServicePrincipalID string `json:"servicePrincipalId"`
	// Owners are directory object ids (service principal object ids, or user ids) owning the application.
	Owners []string `json:"owners"`
	// Secrets are the application's client secrets.
	Secrets []Secret `json:"secrets"`
	// Certificates are the application's registered certificates.
	Certificates []Certificate `json:"certificates"`
	// Federated are the application's federated identity credentials.
	Federated []FederatedCredential `json:"federatedCredentials"`
	// GraphRoles are the Microsoft Graph application permissions granted to the service principal.
	GraphRoles []string `json:"graphRoles"`
	// ServicePrincipalOwners are the directory object ids owning the application's service principal.
	ServicePrincipalOwners []string `json:"servicePrincipalOwners,omitempty"`
	// ServicePrincipalProperties are the service principal's properties clients set (POST and PATCH
	// /servicePrincipals), by Graph's property name; the others derive from the application.
	ServicePrincipalProperties map[string]json.RawMessage `json:"servicePrincipalProperties,omitempty"`
	// ServicePrincipalPending marks an application created through Graph whose service principal a
	// client has not created yet (POST /servicePrincipals), or whose service principal was deleted: Graph
	// does not serve it, and the token endpoint refuses the application (AADSTS7000229).
	ServicePrincipalPending bool `json:"servicePrincipalPending,omitempty"`
	// Deployer marks the identity the emulator's command exports as ARM_CLIENT_ID.
	Deployer bool `json:"deployer,omitempty"`
	// Version counts writes to the record, starting at 1.
	Version int64 `json:"version"`
	// UpdatedAt is when the version was committed.
	UpdatedAt time.Time `json:"updatedAt"`
}

// Clone returns a deep copy of the record.
func (r *Record) Clone() Record {
	out := *r
	out.Application = r.Application.Clone()
	out.Owners = append([]string{}, r.Owners...)
	out.Secrets = append([]Secret{}, r.Secrets...)
	out.Certificates = append([]Certificate{}, r.Certificates...)
	out.Federated = make([]FederatedCredential, len(r.Federated))
	for i, f := range r.Federated {
		f.Audiences = append([]string{}, f.Audiences...)
		out.Federated[i] = f
	}
	out.GraphRoles = append([]string{}, r.GraphRoles...)
	out.ServicePrincipalOwners = append([]string(nil), r.ServicePrincipalOwners...)
	if r.ServicePrincipalProperties != nil {
		out.ServicePrincipalProperties = make(map[string]json.RawMessage, len(r.ServicePrincipalProperties))
		for k, v := range r.ServicePrincipalProperties {
			out.ServicePrincipalProperties[k] = append(json.RawMessage(nil), v...)
		}
	}
	return out
}

// HasGraphRole reports whether the service principal holds the Microsoft Graph app role (case-insensitive).
func (r *Record) HasGraphRole(role string) bool { return ContainsFold(r.GraphRoles, role) }

// IsOwner reports whether the directory object id owns the application (case-insensitive).
func (r *Record) IsOwner(objectID string) bool {
	return objectID != "" && ContainsFold(r.Owners, objectID)
}

// Config configures a Directory.
type Config struct {
	// TenantID is the tenant the directory belongs to.
	TenantID string
	// VerifiedDomains are the tenant's verified domains (identifier URIs may use them and their subdomains).
	VerifiedDomains []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RandSeed seeds the choice between primary and stale replica on replica reads, for reproducible runs.
	RandSeed uint64
}

// Directory is the tenant's directory. It is safe for concurrent use.
type Directory struct {
	tenantID        string
	verifiedDomains []string
	now             func() time.Time

	mu       sync.RWMutex
	objects  map[string]*history // lower-case object id → versions
	byAppID  map[string][]string // lower-case appId → object ids (several only while deleted ones linger)
	lag      time.Duration
	staleP   float64
	rngMu    sync.Mutex
	rng      *mrand.Rand
	randSeed uint64
	// deleted are the soft-deleted applications by lower-case object id (deleteditems.go).
	deleted map[string]*DeletedRecord
	// policy is the tenant's default app management policy; nil is a tenant that never changed it (policy.go).
	policy *AppManagementPolicy
	users  userStore // users.go
}

// version is one committed state of an object; rec nil means deleted.
type version struct {
	at  time.Time
	rec *Record
}

// history keeps the versions a replica may still serve: the newest one plus those committed within the lag.
type history struct {
	versions []version // oldest first
}

func (h *history) latest() *Record { return h.versions[len(h.versions)-1].rec }

// asOf returns the record as a replica that has seen every write committed at or before t sees it.
func (h *history) asOf(t time.Time) *Record {
	for i := len(h.versions) - 1; i >= 0; i-- {
		if !h.versions[i].at.After(t) {
			return h.versions[i].rec
		}
	}
	return nil
}

// New returns an empty directory.
func New(cfg Config) *Directory {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Directory{
		tenantID:        cfg.TenantID,
		verifiedDomains: append([]string{}, cfg.VerifiedDomains...),
		now:             now,
		objects:         map[string]*history{},
		byAppID:         map[string][]string{},
		rng:             mrand.New(mrand.NewPCG(cfg.RandSeed, cfg.RandSeed^0x9e3779b97f4a7c15)),
		randSeed:        cfg.RandSeed,
	}
}

// TenantID returns the directory's tenant id.
func (d *Directory) TenantID() string { return d.tenantID }

// VerifiedDomains returns the tenant's verified domains, the initial domain last (domains.go).
func (d *Directory) VerifiedDomains() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return withInitialDomain(d.verifiedDomains)
}

// SetVerifiedDomains replaces the tenant's verified domains.
func (d *Directory) SetVerifiedDomains(domains []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.verifiedDomains = append([]string{}, domains...)
}

// SetReplication configures replica reads: for lag after a write, a replica read is served from a stale
// replica with probability staleProbability (0 disables staleness, 1 makes every such read stale).
func (d *Directory) SetReplication(lag time.Duration, staleProbability float64) {
	if staleProbability < 0 {
		staleProbability = 0
	}
	if staleProbability > 1 {
		staleProbability = 1
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lag = lag
	d.staleP = staleProbability
}

// Replication returns the replica lag and stale-read probability.
func (d *Directory) Replication() (lag time.Duration, staleProbability float64) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.lag, d.staleP
}

// Reseed restarts the random sequence that decides stale reads.
func (d *Directory) Reseed(seed uint64) {
	d.rngMu.Lock()
	defer d.rngMu.Unlock()
	d.randSeed = seed
	d.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// viewTime returns the time as of which a read is served: now for primary reads and fresh replicas, or
// now-lag for a stale replica. Caller holds d.mu (read or write).
func (d *Directory) viewTime(c Consistency) time.Time {
	now := d.now()
	if c != Replica || d.lag <= 0 || d.staleP <= 0 {
		return now
	}
	d.rngMu.Lock()
	stale := d.rng.Float64() < d.staleP
	d.rngMu.Unlock()
	if stale {
		return now.Add(-d.lag)
	}
	return now
}

// Get returns the application with the object id.
func (d *Directory) Get(objectID string, c Consistency) (*Record, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.getLocked(objectID, d.viewTime(c))
}

func (d *Directory) getLocked(objectID string, at time.Time) (*Record, error) {
	h, ok := d.objects[strings.ToLower(objectID)]
	if !ok {
		return nil, ErrNotFound
	}
	if rec := h.asOf(at); rec != nil {
		return rec, nil
	}
	return nil, ErrNotFound
}

// GetByAppID returns the application with the appId (client id).
func (d *Directory) GetByAppID(appID string, c Consistency) (*Record, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.getByAppIDLocked(appID, d.viewTime(c))
}

func (d *Directory) getByAppIDLocked(appID string, at time.Time) (*Record, error) {
	for _, id := range d.byAppID[strings.ToLower(appID)] {
		if rec, err := d.getLocked(id, at); err == nil {
			return rec, nil
		}
	}
	return nil, ErrNotFound
}

// Ref names an application either by object id or by appId.
type Ref struct {
	ObjectID string
	AppID    string
}

// String returns the identifier of the reference as Graph quotes it in messages.
func (r Ref) String() string {
	if r.ObjectID != "" {
		return r.ObjectID
	}
	return r.AppID
}

// Lookup returns the referenced application.
func (d *Directory) Lookup(ref Ref, c Consistency) (*Record, error) {
	if ref.ObjectID != "" {
		return d.Get(ref.ObjectID, c)
	}
	return d.GetByAppID(ref.AppID, c)
}

// lookupLocked finds the referenced application as a replica that has seen every write up to at sees it:
// by object id when the reference has one, else by appId.
func (d *Directory) lookupLocked(ref Ref, at time.Time) (*Record, error) {
	if ref.ObjectID != "" {
		return d.getLocked(ref.ObjectID, at)
	}
	return d.getByAppIDLocked(ref.AppID, at)
}

// List returns every application, ordered by display name then object id, as one view sees them.
func (d *Directory) List(c Consistency) []*Record {
	d.mu.RLock()
	defer d.mu.RUnlock()
	at := d.viewTime(c)
	out := make([]*Record, 0, len(d.objects))
	for _, h := range d.objects {
		if rec := h.asOf(at); rec != nil {
			out = append(out, rec)
		}
	}
	sortRecords(out)
	return out
}

func sortRecords(recs []*Record) {
	sort.Slice(recs, func(i, j int) bool {
		a, b := Deref(recs[i].Application.DisplayName), Deref(recs[j].Application.DisplayName)
		if a != b {
			return a < b
		}
		return recs[i].Application.ID < recs[j].Application.ID
	})
}

// Create adds an application. Empty ids (object id, appId, service principal id, credential key ids) are
// generated; the record's version becomes 1. It fails with ErrConflict when an id is taken and with
// ErrIdentifierURIConflict when an identifier URI is.
func (d *Directory) Create(rec Record) (*Record, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.pruneLocked(now)
	r := rec.Clone()
	if r.Application.ID == "" {
		r.Application.ID = NewGUID()
	}
	if r.Application.AppID == "" {
		r.Application.AppID = NewGUID()
	}
	if r.ServicePrincipalID == "" {
		r.ServicePrincipalID = NewGUID()
	}
	if r.Application.CreatedDateTime == nil {
		r.Application.CreatedDateTime = ptr(now.UTC().Format(time.RFC3339))
	}
	if _, err := d.getLocked(r.Application.ID, now); err == nil || d.deleted[strings.ToLower(r.Application.ID)] != nil {
		return nil, fmt.Errorf("%w: object id %s", ErrConflict, r.Application.ID)
	}
	if _, err := d.getByAppIDLocked(r.Application.AppID, now); err == nil {
		return nil, fmt.Errorf("%w: appId %s", ErrConflict, r.Application.AppID)
	}
	for _, other := range d.latestLocked() {
		if strings.EqualFold(other.ServicePrincipalID, r.ServicePrincipalID) {
			return nil, fmt.Errorf("%w: service principal id %s", ErrConflict, r.ServicePrincipalID)
		}
	}
	if err := d.checkIdentifierURIsLocked(&r); err != nil {
		return nil, err
	}
	if err := prepare(&r, now); err != nil {
		return nil, err
	}
	r.Version = 1
	r.UpdatedAt = now
	d.addVersionLocked(&r, now)
	return &r, nil
}

// addVersionLocked records r as its object's newest version at now and indexes it by its appId; the
// caller holds d.mu.
func (d *Directory) addVersionLocked(r *Record, now time.Time) {
	key := strings.ToLower(r.Application.ID)
	h, ok := d.objects[key]
	if !ok {
		h = &history{}
		d.objects[key] = h
	}
	h.versions = append(h.versions, version{at: now, rec: r})
	appKey := strings.ToLower(r.Application.AppID)
	if !ContainsFold(d.byAppID[appKey], r.Application.ID) {
		d.byAppID[appKey] = append(d.byAppID[appKey], r.Application.ID)
	}
}

// UpdateFunc computes the new state of a record. view is the record as the chosen consistency sees it (a
// stale replica's copy, or the latest), current is the latest committed record; both are read-only. It
// returns the new record (typically a modified current.Clone()) or an error that aborts the update. It
// runs under the directory's write lock and must not call methods of the directory.
type UpdateFunc func(view, current *Record) (Record, error)

// Update applies fn to the referenced application atomically and commits the result as a new version. The
// application is located in the view chosen by c (so a replica that has not seen a creation answers
// ErrNotFound). Ids cannot be changed by fn.
func (d *Directory) Update(ref Ref, c Consistency, fn UpdateFunc) (*Record, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	view, current, now, err := d.writeTargetLocked(ref, c)
	if err != nil {
		return nil, err
	}
	next, err := fn(view, current)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(next.Application.ID, current.Application.ID) ||
		!strings.EqualFold(next.Application.AppID, current.Application.AppID) ||
		!strings.EqualFold(next.ServicePrincipalID, current.ServicePrincipalID) {
		return nil, fmt.Errorf("%w: the ids of application %s cannot change", ErrConflict, current.Application.ID)
	}
	next.Application.CreatedDateTime = current.Application.CreatedDateTime
	if err := d.checkIdentifierURIsLocked(&next); err != nil {
		return nil, err
	}
	if err := prepare(&next, now); err != nil {
		return nil, err
	}
	next.Version = current.Version + 1
	next.UpdatedAt = now
	h := d.objects[strings.ToLower(current.Application.ID)]
	h.versions = append(h.versions, version{at: now, rec: &next})
	return &next, nil
}

// Delete deletes the referenced application (located in the view chosen by c) as Graph does: it moves to
// the deleted items, where it keeps its identifier URIs reserved until it is restored or purged
// (deleteditems.go).
func (d *Directory) Delete(ref Ref, c Consistency) error {
	return d.delete(ref, c, true)
}

func (d *Directory) delete(ref Ref, c Consistency, soft bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	view, latest, now, err := d.writeTargetLocked(ref, c)
	if err != nil {
		return err
	}
	if soft {
		d.softDeleteLocked(latest, now)
	}
	h := d.objects[strings.ToLower(view.Application.ID)]
	h.versions = append(h.versions, version{at: now, rec: nil})
	return nil
}

// writeTargetLocked prunes what no replica can serve at the clock's now and returns the application ref
// names in the view c chooses (a replica that has not seen a creation answers ErrNotFound), its latest
// version on the primary (deleted there after the replica's copy: a write to it fails) and now. d.mu
// must be held.
func (d *Directory) writeTargetLocked(ref Ref, c Consistency) (view, latest *Record, now time.Time, err error) {
	now = d.now()
	d.pruneLocked(now)
	view, err = d.lookupLocked(ref, d.viewTime(c))
	if err != nil {
		return nil, nil, now, err
	}
	latest, err = d.getLocked(view.Application.ID, now)
	if err != nil {
		return nil, nil, now, err
	}
	return view, latest, now, nil
}

// latestLocked returns the latest version of every live application.
func (d *Directory) latestLocked() []*Record {
	out := make([]*Record, 0, len(d.objects))
	for _, h := range d.objects {
		if rec := h.latest(); rec != nil {
			out = append(out, rec)
		}
	}
	return out
}

// pruneLocked drops versions no replica can serve any more: those superseded before now-lag.
func (d *Directory) pruneLocked(now time.Time) {
	d.purgeDeletedLocked(now)
	horizon := now.Add(-d.lag)
	for key, h := range d.objects {
		keep := 0
		for i := len(h.versions) - 1; i >= 0; i-- {
			if !h.versions[i].at.After(horizon) {
				keep = i
				break
			}
		}
		if keep > 0 {
			h.versions = append([]version{}, h.versions[keep:]...)
		}
		if len(h.versions) == 1 && h.versions[0].rec == nil {
			delete(d.objects, key)
			d.dropAppIDLocked(key)
		}
	}
}

func (d *Directory) dropAppIDLocked(objectKey string) {
	for appKey, ids := range d.byAppID {
		for i, id := range ids {
			if strings.EqualFold(id, objectKey) {
				ids = append(ids[:i], ids[i+1:]...)
				break
			}
		}
		if len(ids) == 0 {
			delete(d.byAppID, appKey)
		} else {
			d.byAppID[appKey] = ids
		}
	}
}

func (d *Directory) checkIdentifierURIsLocked(r *Record) error {
	for _, uri := range r.Application.IdentifierURIs {
		for _, other := range d.latestLocked() {
			if strings.EqualFold(other.Application.ID, r.Application.ID) {
				continue
			}
			if ContainsFold(other.Application.IdentifierURIs, uri) {
				return fmt.Errorf("%w: %s is used by application %s", ErrIdentifierURIConflict, uri, other.Application.ID)
			}
		}
		for _, gone := range d.deleted { // a soft-deleted application keeps its identifier URIs reserved
			if !strings.EqualFold(gone.Record.Application.ID, r.Application.ID) && ContainsFold(gone.Record.Application.IdentifierURIs, uri) {
				return fmt.Errorf("%w: %s is reserved by deleted application %s", ErrIdentifierURIConflict, uri, gone.Record.Application.ID)
			}
		}
	}
	return nil
}

// prepare fills generated ids of credentials, parses certificates and derives the Graph credential metadata.
func prepare(r *Record, now time.Time) error {
	r.Application.Normalize()
	if IsGUID(r.ServicePrincipalID) {
		r.ServicePrincipalID = strings.ToLower(r.ServicePrincipalID)
	}
	for i := range r.Secrets {
		s := &r.Secrets[i]
		if s.KeyID == "" {
			s.KeyID = NewGUID()
		}
		if s.Start.IsZero() {
			s.Start = now.UTC().Truncate(time.Second)
		}
		if s.End.IsZero() {
			s.End = s.Start.AddDate(2, 0, 0)
		}
	}
	for i := range r.Certificates {
		c := &r.Certificates[i]
		if c.KeyID == "" {
			c.KeyID = NewGUID()
		}
		if c.Parsed == nil {
			cert, err := ParseCertificatePEM(c.PEM)
			if err != nil {
				return fmt.Errorf("certificate %d of application %s: %w", i, r.Application.ID, err)
			}
			c.Parsed = cert
		}
	}
	r.Application.PasswordCredentials = make([]PasswordCredential, 0, len(r.Secrets))
	for _, s := range r.Secrets {
		hint := s.Value
		if len(hint) > 3 {
			hint = hint[:3]
		}
		r.Application.PasswordCredentials = append(r.Application.PasswordCredentials, PasswordCredential{
			DisplayName:   nilIfEmpty(s.DisplayName),
			EndDateTime:   ptr(s.End.UTC().Format(time.RFC3339)),
			Hint:          ptr(hint),
			KeyID:         s.KeyID,
			StartDateTime: ptr(s.Start.UTC().Format(time.RFC3339)),
		})
	}
	r.Application.KeyCredentials = make([]KeyCredential, 0, len(r.Certificates))
	for _, c := range r.Certificates {
		r.Application.KeyCredentials = append(r.Application.KeyCredentials, KeyCredential{
			CustomKeyIdentifier: ptr(thumbprintHex(c.Parsed)),
			DisplayName:         nilIfEmpty(c.DisplayName),
			EndDateTime:         ptr(c.Parsed.NotAfter.UTC().Format(time.RFC3339)),
			KeyID:               c.KeyID,
			StartDateTime:       ptr(c.Parsed.NotBefore.UTC().Format(time.RFC3339)),
			Type:                ptr("AsymmetricX509Cert"),
			Usage:               ptr("Verify"),
		})
	}
	if r.Owners == nil {
		r.Owners = []string{}
	}
	if r.GraphRoles == nil {
		r.GraphRoles = []string{}
	}
	return nil
}

// NewGUID returns a random version-4 GUID in Graph's lower-case form.
func NewGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("directory: read random bytes: %v", err))
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// IsGUID reports whether s has the 8-4-4-4-12 hexadecimal form of a GUID.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// ContainsFold reports whether list holds s, ignoring case (Graph compares IDs, URIs and names so).
func ContainsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Deref is *s, or "" when s is nil (an absent optional property).
func Deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
