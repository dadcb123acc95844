package core

import (
	"fmt"
	"time"
)

// Final is the error a call ends with when the policy does not repeat it after err: err, or, when
// the wait would pass the deadline, err with that reason.
func (r Retry) Final(err error) error {
	if r.PastDeadline {
		return fmt.Errorf("the next retry (in %s) would pass the deadline: %w", r.Wait.Round(time.Millisecond), err)
	}
	return err
}

// GaveUp is the error of the call what that ended with err after attempts: err itself after one.
func GaveUp(what string, attempts int, err error) error {
	if attempts == 1 {
		return err
	}
	return fmt.Errorf("%s: giving up after %d attempts: %w", what, attempts, err)
}
