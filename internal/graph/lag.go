package graph

import (
	"context"
	"time"
)

// The lag model: every window of the package derives from one bound, L, the directory's replication
// lag (Config.ReplicationLag, widened by the longest lag this process observed). A read started at t
// shows every write Graph committed before t-L. The rules, each a function below:
//
//   - freshFrom: a read started L after the command's start shows everything earlier commands
//     reported. Absence (a Read reporting an item gone) and a difference from Terraform's state are
//     decided only on such a read, and a write is built only on such a read (sequential safety at the
//     start, instead of a wait at the end of every command).
//   - settleHorizon, 2L + WriteReuse: how long after our last write another writer that read a replica
//     without it can still overwrite it and we see that. Only runs that share the application with
//     another writer wait for it (settle.go).
//   - overwriteAfter, 2L (at least WriteReuse): how long our confirmed change may stay missing from
//     reads before it is taken as overwritten rather than not yet replicated.
//   - lag observations above 2 x the declared bound are overwrites, not lag (noteLag).

// DefaultReplicationLag is the bound L used when Config.ReplicationLag is zero: Entra ID replicas are
// usually consistent within a second or two.
const DefaultReplicationLag = 3 * time.Second

// declaredLag is the configured bound (zero when the directory is declared lag-free).
func (c *Client) declaredLag() time.Duration { return max(c.cfg.ReplicationLag, 0) }

// lag returns the longest replication lag this process observed.
func (c *Client) lag() time.Duration { return time.Duration(c.observedLag.Load()) }

// lagBound is L: the declared bound, or the longest lag this process observed when that is longer.
func (c *Client) lagBound() time.Duration { return max(c.declaredLag(), c.lag()) }

// freshFrom returns when a read first shows every change an earlier command reported: L after the
// command started (Config.CommandStart, else when the client was built). Every such change is older
// than the command.
func (c *Client) freshFrom() time.Time { return c.started.Add(c.lagBound()) }

// settleHorizon is how long after this process's last write of an application a read must start to
// see another writer's overwrite of it. That writer read before T+L (T our write) on a replica without
// it, built on that read for up to WriteReuse and committed before T+L+WriteReuse; a read shows it L
// later.
func (c *Client) settleHorizon() time.Duration {
	return 2*c.lagBound() + max(c.cfg.WriteReuse, 0)
}

// overwriteAfter is how long a confirmed change of this process may stay missing from reads before it
// is taken as overwritten by another writer: twice the bound, and at least WriteReuse.
func (c *Client) overwriteAfter() time.Duration {
	return max(2*c.lagBound(), c.cfg.WriteReuse, 0)
}

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
func (c *Client) requestBound() time.Duration {
	if c.cfg.RequestTimeout > 0 {
		return c.cfg.RequestTimeout
	}
	return time.Minute
}

// sleepUntil waits until t, counting reason when there is a wait at all.
func (c *Client) sleepUntil(ctx context.Context, t time.Time, reason RetryReason) error {
	wait := t.Sub(c.now())
	if wait <= 0 {
		return nil
	}
	c.stats.addRetry(reason)
	return c.sleep(ctx, wait)
}
