package graph

import (
	"fmt"
	"sync"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// noticeBoard is the client's core.Notices under its lock.
type noticeBoard struct {
	mu sync.Mutex
	core.Notices
}

// notify records n once (by kind, application and detail).
func (c *Client) notify(n Notice) {
	c.notices.mu.Lock()
	defer c.notices.mu.Unlock()
	c.notices.Add(n)
}

// TakeNotices returns the notices not taken yet; each notice is returned once.
func (c *Client) TakeNotices() []Notice {
	c.notices.mu.Lock()
	defer c.notices.mu.Unlock()
	return c.notices.Take()
}

// markForeignLocked records that another writer changed the application. Caller holds w.mu.
func (w *appWorker) markForeignLocked() {
	if !w.foreign && !w.c.cfg.ConcurrentWriters {
		w.c.notify(Notice{Kind: NoticeForeignWriter, ObjectID: w.objectID})
	}
	w.foreign = true
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
