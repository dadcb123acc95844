package graph

import (
	"fmt"
)

// notify records n once (by kind, application and detail).
func (c *Client) notify(n Notice) {
	c.noticesMu.Lock()
	defer c.noticesMu.Unlock()
	c.notices.Add(n)
}

// TakeNotices returns the notices not taken yet; each notice is returned once.
func (c *Client) TakeNotices() []Notice {
	c.noticesMu.Lock()
	defer c.noticesMu.Unlock()
	return c.notices.Take()
}

// markForeignLocked records that another writer changed the application. Caller holds w.mu.
func (w *appWorker) markForeignLocked() {
	if !w.foreign && !w.c.cfg.ConcurrentWriters {
		w.c.notify(Notice{Kind: NoticeForeignWriter, ObjectID: w.objectID})
	}
	w.foreign = true
}

// notConfirmed tells the user that the change of operation name, answered as made, is not in Graph.
func (w *appWorker) notConfirmed(name string, err error) {
	w.c.notify(Notice{Kind: NoticeNotConfirmed, ObjectID: w.objectID, Detail: fmt.Sprintf("%s: %v", name, err)})
}
