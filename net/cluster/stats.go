package cluster

import "time"

// Stats are a node's counters since it connected, for metrics.
type Stats struct {
	// Received counts cell batches that arrived, ReceivedBytes their size.
	Received, ReceivedBytes uint64
	// Delivered counts messages handed to views, Facts the facts in them.
	Delivered, Facts uint64
	// Snapshots counts cells joined (or joined again) from a snapshot;
	// Gaps the times a cell's batches skipped one and it started over.
	Snapshots, Gaps uint64
	// Refused counts messages that could not be decoded; SlowConsumer the
	// times NATS dropped messages this node read too slowly.
	Refused, SlowConsumer uint64
	// RegionsLost counts regions given up on as silent.
	RegionsLost uint64
	// Subscriptions is how many cells the node mirrors now.
	Subscriptions int
	// Lag is how long after its tick was due the latest batch arrived.
	Lag time.Duration
}

// Stats reads the counters.
func (n *Node) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// RegionStats are a region's counters since it started, for metrics.
type RegionStats struct {
	// Published counts cell batches sent, PublishedBytes their size.
	Published, PublishedBytes uint64
	// Handoffs counts actors handed to other regions and taken by them;
	// Retries the hand-offs sent again, Returned those nobody took.
	Handoffs, Retries, Returned uint64
	// Arrivals counts actors taken in from other regions.
	Arrivals uint64
	// Forwarded counts commands passed on to the region that now holds
	// their actor.
	Forwarded uint64
	// Refused counts commands that could not be decoded.
	Refused uint64
	// Evicted counts actors taken out because the process that held their
	// connections fell silent.
	Evicted uint64
}
