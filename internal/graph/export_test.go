package graph

import "strings"

// QueuedOps returns how many operations wait in the queue of the application's worker, so that
// tests can line operations up for one group-commit round without sleeping.
func QueuedOps(c *Client, objectID string) int {
	c.mu.Lock()
	w := c.workers[strings.ToLower(objectID)]
	c.mu.Unlock()
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// QueuedReads returns how many reads wait for a request of their own kind, so that tests can line
// reads up behind one in flight without sleeping.
func QueuedReads(c *Client) int {
	n := 0
	for _, b := range []*readBatcher{&c.reads.byObjectID, &c.reads.byAppID} {
		b.mu.Lock()
		n += len(b.waiting)
		b.mu.Unlock()
	}
	return n
}
