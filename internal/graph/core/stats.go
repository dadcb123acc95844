package core

import "slices"

// Stats are counters of what a client sent to Graph, for tests, benchmarks and logs.
type Stats struct {
	Gets         int64                 // GET requests, with retries and confirmation reads
	Patches      int64                 // PATCH requests, with retries
	ConfirmReads int64                 // GETs made to confirm a write (included in Gets)
	Batches      int64                 // group-commit rounds that sent a PATCH
	Mutations    int64                 // the mutations those rounds carried (one per operation and round)
	Reapplies    int64                 // changes applied again because another writer had overwritten them
	SharedReads  int64                 // reads answered by another caller's in-flight GET
	Retries      map[RetryReason]int64 // repeated calls by reason
}

// TotalRetries sums Retries.
func (s Stats) TotalRetries() (n int64) {
	for _, v := range s.Retries {
		n += v
	}
	return n
}

// NoticeKind says what a Notice reports.
type NoticeKind int

// Notice kinds: another writer changed an application not declared shared (the user should declare
// it); a confirmed change another writer overwrote cannot be applied again; a change answered as made
// that the reads after it did not show. Detail names the change (and the reason).
const (
	NoticeForeignWriter NoticeKind = iota + 1
	NoticeRestoreImpossible
	NoticeNotConfirmed
)

// Notice is something the user should be told although no operation failed.
type Notice struct {
	Kind      NoticeKind
	ObjectID  string
	Detail    string
	Forbidden bool // the failure in Detail is Graph's 403: the provider says what to grant
}

// Notices holds the notices, each recorded once (by kind, application and detail).
type Notices struct {
	all   []Notice
	taken int // all[:taken] were taken
}

// Add records n unless it was recorded before.
func (b *Notices) Add(n Notice) {
	if !slices.Contains(b.all, n) {
		b.all = append(b.all, n)
	}
}

// Take returns the notices not taken yet.
func (b *Notices) Take() []Notice {
	out := slices.Clone(b.all[b.taken:])
	b.taken = len(b.all)
	return out
}
