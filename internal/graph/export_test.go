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
