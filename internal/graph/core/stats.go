package core

// Stats are counters of what a client sent to Graph, for tests, benchmarks and logs.
type Stats struct {
	// Gets is the number of GET requests sent, including retries and confirmation reads; Patches
	// the number of PATCH requests, including retries; ConfirmReads the GETs made to confirm a
	// write (included in Gets).
	Gets, Patches, ConfirmReads int64
	// Batches is the number of group-commit rounds that sent a PATCH; Mutations the mutations (one
	// per operation and round) they carried.
	Batches, Mutations int64
	// Reapplies counts changes applied again because another writer had overwritten them.
	Reapplies int64
	// SharedReads is the number of reads answered by another caller's in-flight GET.
	SharedReads int64
	// Retries counts repeated calls by reason.
	Retries map[RetryReason]int64
}

// TotalRetries sums Retries.
func (s Stats) TotalRetries() int64 {
	var n int64
	for _, v := range s.Retries {
		n += v
	}
	return n
}
