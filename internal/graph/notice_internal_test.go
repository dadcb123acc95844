package graph

import (
	"fmt"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// A change Graph no longer lets this process read back is told as a notice marked Forbidden, so that the
// provider says what to grant (its TestForbiddenSaysWhatToGrant); any other failure is not marked.
func TestNotConfirmedMarksRefusals(t *testing.T) {
	w := &appWorker{c: &Client{}, objectID: "o1"}
	w.notConfirmed("adding identifier URI api://x", fmt.Errorf("GET: %w", &model.ForbiddenError{APIError: model.APIError{StatusCode: 403}}))
	w.notConfirmed("adding identifier URI api://y", &model.OverwrittenError{ObjectID: "o1"})
	got := w.c.TakeNotices()
	if len(got) != 2 || got[0].Kind != core.NoticeNotConfirmed || !got[0].Forbidden || got[1].Forbidden {
		t.Fatalf("notices = %+v, want the 403 marked Forbidden and the other not", got)
	}
}
