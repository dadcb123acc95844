package graph

import (
	"fmt"
	"sync"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// NoticeKind says what a Notice reports.
type NoticeKind int

const (
	// NoticeForeignWriter: another writer changed the application while this process was writing it,
	// and Config.ConcurrentWriters was not set. The process settled the application by itself (waited
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

// Notice is something the user should be told although no operation failed. Each is reported once.
type Notice struct {
	Kind     NoticeKind
	ObjectID string
	Detail   string
}

type noticeBoard struct {
	mu      sync.Mutex
	seen    map[Notice]bool
	pending []Notice
}

// notify records n once (by kind, application and detail).
func (c *Client) notify(n Notice) {
	c.notices.mu.Lock()
	defer c.notices.mu.Unlock()
	if c.notices.seen == nil {
		c.notices.seen = make(map[Notice]bool)
	}
	if c.notices.seen[n] {
		return
	}
	c.notices.seen[n] = true
	c.notices.pending = append(c.notices.pending, n)
}

// TakeNotices returns the notices not taken yet; each notice is returned once.
func (c *Client) TakeNotices() []Notice {
	c.notices.mu.Lock()
	defer c.notices.mu.Unlock()
	out := c.notices.pending
	c.notices.pending = nil
	return out
}

// markForeignLocked records that another writer changed the application. Caller holds w.mu.
func (w *appWorker) markForeignLocked() {
	if w.foreign {
		return
	}
	w.foreign = true
	if !w.c.cfg.ConcurrentWriters {
		w.c.notify(Notice{Kind: NoticeForeignWriter, ObjectID: w.objectID})
	}
}

// dropUnrestorable forgets a confirmed intent that another writer's change made impossible to apply
// again, and tells the user.
func (w *appWorker) dropUnrestorable(i model.Intent, err error) {
	w.drop(i.Key())
	w.c.notify(Notice{Kind: NoticeRestoreImpossible, ObjectID: w.objectID, Detail: fmt.Sprintf("%s: %v", i, err)})
}

// notConfirmed tells the user that the change of operation name, answered as made, is not in Graph.
func (w *appWorker) notConfirmed(name string, err error) {
	w.c.notify(Notice{Kind: NoticeNotConfirmed, ObjectID: w.objectID, Detail: fmt.Sprintf("%s: %v", name, err)})
}
