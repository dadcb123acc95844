package core

import (
	"cmp"
	"fmt"
)

// Told decides what the caller of operation name is told once its op was answered (DESIGN.md, v3
// rules 4 and 5). err is the op's own outcome; gaveUp, when set, is the end of the caller's context,
// which came while a round had the op; settled is the settle's outcome (settleEnded: a context's
// end); late is what the confirmation found wrong after the op was answered at commit. The caller
// gets opErr with settleErr (both nil: success); notice goes to the user instead when the caller
// gave up (Graph committed the change, so Terraform records it as made).
func Told(name string, err, gaveUp, settled, late error, settleEnded bool) (opErr, settleErr, notice error) {
	switch {
	case late != nil && gaveUp != nil:
		notice = late
	case late != nil && err == nil:
		err = fmt.Errorf("%s: %w", name, late) // its confirmation failed while it settled
	}
	switch {
	case err == nil && settled == nil:
		return nil, nil, notice
	case gaveUp != nil:
		err = cmp.Or(err, gaveUp)
	case err != nil && settleEnded:
		settled = nil // the caller's own end, already in err
	}
	return err, settled, notice
}
