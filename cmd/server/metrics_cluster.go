package server

import (
	"time"

	"github.com/godmmo/godmmo/net/cluster"
	"github.com/prometheus/client_golang/prometheus"
)

// watchCluster exports what a process of a world split over processes
// does on the bus: what its views receive, and what its region (if any)
// publishes and hands over.
func (m *Metrics) watchCluster(node *cluster.Node, region *cluster.Region) {
	counter := counterOf(node.Stats)
	m.reg.MustRegister(
		counter("godmmo_bus_received_total", "Cell batches received from the bus for this process's views.", func(s cluster.Stats) uint64 { return s.Received }),
		counter("godmmo_bus_received_bytes_total", "Bytes of the cell batches received.", func(s cluster.Stats) uint64 { return s.ReceivedBytes }),
		counter("godmmo_bus_messages_delivered_total", "Snapshots and batches handed to views.", func(s cluster.Stats) uint64 { return s.Delivered }),
		counter("godmmo_bus_snapshots_total", "Cells joined, or joined again, from a snapshot.", func(s cluster.Stats) uint64 { return s.Snapshots }),
		counter("godmmo_bus_gaps_total", "Times a cell's batches skipped one and the cell was joined again.", func(s cluster.Stats) uint64 { return s.Gaps }),
		counter("godmmo_bus_refused_total", "Bus messages that could not be decoded.", func(s cluster.Stats) uint64 { return s.Refused }),
		counter("godmmo_bus_slow_consumer_total", "Times NATS dropped messages this process read too slowly.", func(s cluster.Stats) uint64 { return s.SlowConsumer }),
		counter("godmmo_regions_lost_total", "Regions given up on as silent: their actors left every view.", func(s cluster.Stats) uint64 { return s.RegionsLost }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "godmmo_regions_up", Help: "Regions this process has heard from lately, over a connected bus."},
			func() float64 { return float64(node.RegionsUp()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "godmmo_bus_subscriptions", Help: "Cells this process mirrors for its views."},
			func() float64 { return float64(node.Stats().Subscriptions) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "godmmo_bus_lag_seconds", Help: "How long after its tick was due the latest batch received arrived."},
			func() float64 { return node.Stats().Lag.Seconds() }),
	)
	if region == nil {
		return
	}
	rc := counterOf(region.Stats)
	handoff := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "godmmo_handoff_seconds", Help: "Time from an actor's departure to its acknowledgement by the region it walked into.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})
	region.OnHandoff = func(d time.Duration) { handoff.Observe(d.Seconds()) }
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "godmmo_region_info", Help: "The region this process simulates (always 1).", ConstLabels: prometheus.Labels{"region": region.Name()}})
	info.Set(1)
	m.reg.MustRegister(handoff, info,
		rc("godmmo_bus_published_total", "Cell batches this region published.", func(s cluster.RegionStats) uint64 { return s.Published }),
		rc("godmmo_bus_published_bytes_total", "Bytes of the cell batches published.", func(s cluster.RegionStats) uint64 { return s.PublishedBytes }),
		rc("godmmo_handoffs_total", "Actors handed to other regions and acknowledged.", func(s cluster.RegionStats) uint64 { return s.Handoffs }),
		rc("godmmo_handoff_retries_total", "Hand-offs sent again for want of an answer.", func(s cluster.RegionStats) uint64 { return s.Retries }),
		rc("godmmo_handoffs_returned_total", "Hand-offs nobody took: the actor was taken back.", func(s cluster.RegionStats) uint64 { return s.Returned }),
		rc("godmmo_arrivals_total", "Actors taken in from other regions.", func(s cluster.RegionStats) uint64 { return s.Arrivals }),
		rc("godmmo_commands_forwarded_total", "Commands passed on to the region their actor went to.", func(s cluster.RegionStats) uint64 { return s.Forwarded }),
		rc("godmmo_evicted_total", "Actors taken out because the process holding their connections fell silent.", func(s cluster.RegionStats) uint64 { return s.Evicted }),
		rc("godmmo_bus_commands_refused_total", "Commands from the bus that could not be decoded.", func(s cluster.RegionStats) uint64 { return s.Refused }),
	)
}

// counterOf makes counters that read one field of what stats returns.
func counterOf[S any](stats func() S) func(name, help string, v func(S) uint64) prometheus.Collector {
	return func(name, help string, v func(S) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(stats())) })
	}
}
