package core

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
func (s Stats) TotalRetries() int64 {
	var n int64
	for _, v := range s.Retries {
		n += v
	}
	return n
}

// NoticeKind says what a Notice reports.
type NoticeKind int

const (
	// NoticeForeignWriter: another writer changed the application while this process was writing it,
	// and concurrent writers were not declared. The process settled the application by itself (waited
	// its settle window and restored what was overwritten); the user should declare the sharing.
	NoticeForeignWriter NoticeKind = iota + 1
	// NoticeRestoreImpossible: a change this process had confirmed was overwritten by another writer
	// and cannot be applied again (for example the scope it grants is gone). Detail names the change.
	NoticeRestoreImpossible
	// NoticeNotConfirmed: Graph answered a change with success, so its caller was answered, but the
	// reads that followed did not show it (another writer kept overwriting it, or the reads failed).
	// Detail names the change and the reason.
	NoticeNotConfirmed
)

// Notice is something the user should be told although no operation failed.
type Notice struct {
	Kind     NoticeKind
	ObjectID string
	Detail   string
}

// Notices holds the notices not taken yet; each notice is reported once (by kind, application and
// detail). The driver guards it with a lock.
type Notices struct {
	seen    map[Notice]bool
	pending []Notice
}

// Add records n unless it was recorded before.
func (b *Notices) Add(n Notice) {
	if b.seen[n] {
		return
	}
	if b.seen == nil {
		b.seen = make(map[Notice]bool)
	}
	b.seen[n] = true
	b.pending = append(b.pending, n)
}

// Take returns the notices not taken yet.
func (b *Notices) Take() []Notice {
	out := b.pending
	b.pending = nil
	return out
}
