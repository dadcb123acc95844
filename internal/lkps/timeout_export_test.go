package lkps

import "time"

// SetRequestTimeout changes the per-request timeout of clients built afterwards; the returned
// function restores it.
func SetRequestTimeout(d time.Duration) (restore func()) {
	old := requestTimeout
	requestTimeout = d
	return func() { requestTimeout = old }
}
