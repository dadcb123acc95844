package graph

import (
	"context"
	"time"
)

// The lag model: every window of the package derives from one bound, L, the directory's replication
// lag (Config.ReplicationLag, widened by the longest lag this process observed): a read started at t
// shows every write Graph committed before t-L. Each rule is one function below. Absence (a Read
// reporting an item gone), a difference from Terraform's state, and the base of a write are decided
// only on a read started at freshFrom or later: sequential safety at the start of a command, instead
// of a wait at the end of every command.

// DefaultReplicationLag is the bound L used when Config.ReplicationLag is zero: Entra ID replicas are
// usually consistent within a second or two.
const DefaultReplicationLag = 3 * time.Second

// declaredLag is the configured bound (zero when the directory is declared lag-free).
func (c *Client) declaredLag() time.Duration { return max(c.cfg.ReplicationLag, 0) }

// lagBound is L: the declared bound, or the longest lag this process observed when that is longer.
func (c *Client) lagBound() time.Duration {
	return max(c.declaredLag(), time.Duration(c.observedLag.Load()))
}

// freshFrom is when a read first shows every change an earlier command reported (each is older than
// the command): L after the command started (Config.CommandStart, else when the client was built).
func (c *Client) freshFrom() time.Time { return c.started.Add(c.lagBound()) }

// settleHorizon is how long after this process's last write of an application a read must start to
// see another writer's overwrite of it. That writer read before T+L (T our write) on a replica without
// it, built on that read for up to WriteReuse and committed before T+L+WriteReuse; a read shows it L
// later.
func (c *Client) settleHorizon() time.Duration { return 2*c.lagBound() + max(c.cfg.WriteReuse, 0) }

// overwriteAfter is how long a confirmed change of this process may stay missing from reads before it
// is taken as overwritten by another writer: twice the bound, and at least WriteReuse.
func (c *Client) overwriteAfter() time.Duration { return max(2*c.lagBound(), c.cfg.WriteReuse, 0) }

// noteLag records that a read missed a write made d ago: the directory's replication lag is at least
// d, and L widens to it for the rest of the process. A write missing for twice the declared bound (at
// least WriteReuse) is an overwrite, not lag, and is not recorded: recording it would widen every
// later window without end.
func (c *Client) noteLag(d time.Duration) {
	if d >= max(2*c.declaredLag(), c.cfg.WriteReuse) {
		return
	}
	for {
		cur := c.observedLag.Load()
		if int64(d) <= cur || c.observedLag.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// requestBound is how long one request may take (RequestTimeout, or a minute when it is unbounded).
func (c *Client) requestBound() time.Duration { return positiveOr(c.cfg.RequestTimeout, time.Minute) }

// sleepUntil waits until t, counting reason when there is a wait at all.
func (c *Client) sleepUntil(ctx context.Context, t time.Time, reason RetryReason) error {
	wait := t.Sub(c.now())
	if wait <= 0 {
		return nil
	}
	c.stats.addRetry(reason)
	return c.sleep(ctx, wait)
}
