package graph

import (
	"context"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
)

// lag is the lag model (core.Lag) as of now: the declared bound, the longest lag observed, WriteReuse.
func (c *Client) lag() core.Lag {
	return core.Lag{Declared: c.cfg.ReplicationLag, Observed: time.Duration(c.observedLag.Load()), WriteReuse: core.WriteReuse}
}

// freshFrom is core.Lag.FreshFrom of the command's start.
func (c *Client) freshFrom() time.Time { return c.lag().FreshFrom(c.started) }

// noteLag records that a read missed a write made d ago (core.Lag.Widen).
func (c *Client) noteLag(d time.Duration) {
	for {
		l := c.lag()
		if w := l.Widen(d); w == l.Observed || c.observedLag.CompareAndSwap(int64(l.Observed), int64(w)) {
			return
		}
	}
}

// sleepUntil waits until t, counting reason when there is a wait at all.
func (c *Client) sleepUntil(ctx context.Context, t time.Time, reason core.RetryReason) error {
	wait := t.Sub(c.now())
	if wait <= 0 {
		return nil
	}
	c.stats.addRetry(reason)
	return c.sleep(ctx, wait)
}
