package server

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/godmmo/godmmo/systems"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the server's live instrumentation, kept in its own Prometheus
// registry so that two Apps in one process (as in the tests) never share or
// collide on counters. One value hears the edge (net.Metrics), the tick
// (systems.Timer) and the store's flushes, so everything an operator
// scrapes comes from one place.
type Metrics struct {
	reg *prometheus.Registry

	stage    *prometheus.HistogramVec
	stages   map[string]prometheus.Observer // filled once before the tick runs, then only read
	tick     prometheus.Histogram
	overruns prometheus.Counter
	lastTick atomic.Int64 // unix nanoseconds of the end of the last tick; 0 before the first

	online     prometheus.Gauge
	logins     prometheus.Counter
	loginFails prometheus.Counter
	packetsIn  prometheus.Counter
	packetsOut prometheus.Counter
	bytesIn    prometheus.Counter
	bytesOut   prometheus.Counter
	badPackets prometheus.Counter
	slow       prometheus.Counter

	flush     prometheus.Histogram
	flushRows prometheus.Counter
	dbErrors  *prometheus.CounterVec

	ops opsMetrics // limits, connections, operators (metrics_ops.go)
}

// The implementations Metrics is wired into.
var (
	_ net.Metrics   = (*Metrics)(nil)
	_ systems.Timer = (*Metrics)(nil)
)

// tickBuckets cover 10 µs to about 2.6 s: a stage of a small world up to a
// tick stalled for dozens of periods, which an overloaded server does (a
// room of 250 on 2 cores saw ticks past 160 ms, the first cut of this range).
var tickBuckets = prometheus.ExponentialBuckets(10e-6, 2, 19)

// newMetrics builds the collectors and registers them, with the Go runtime's
// and the process's own (goroutines, heap, RSS, CPU), in a fresh registry.
func newMetrics() *Metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "godmmo_tick_stage_seconds",
			Help:    "Time one system of the tick took, per tick.",
			Buckets: tickBuckets,
		}, []string{"system"}),
		stages: make(map[string]prometheus.Observer),
		tick: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "godmmo_tick_seconds",
			Help:    "Time a whole tick took, all systems together.",
			Buckets: tickBuckets,
		}),
		overruns:   counter("godmmo_tick_overruns_total", "Ticks that took longer than the tick period."),
		online:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "godmmo_players_online", Help: "Players in the world now."}),
		logins:     counter("godmmo_logins_total", "Logins admitted into the world."),
		loginFails: counter("godmmo_login_failures_total", "Logins refused: wrong credentials or already logged in."),
		packetsIn:  counter("godmmo_packets_in_total", "WebSocket messages received from clients."),
		packetsOut: counter("godmmo_packets_out_total", "WebSocket messages written to clients."),
		bytesIn:    counter("godmmo_bytes_in_total", "Payload bytes received from clients."),
		bytesOut:   counter("godmmo_bytes_out_total", "Payload bytes written to clients."),
		badPackets: counter("godmmo_bad_packets_total", "Client packets refused with a Deny."),
		slow: counter("godmmo_slow_client_disconnects_total",
			"Clients dropped as too slow: their view fell more than the allowed lag behind the world, or their replies piled up."),
		flush: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "godmmo_flush_seconds",
			Help:    "Time one batch of positions took to write to the database.",
			Buckets: prometheus.ExponentialBuckets(100e-6, 2, 16),
		}),
		flushRows: counter("godmmo_flush_rows_total", "Actor positions written to the database."),
		dbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "godmmo_db_errors_total",
			Help: "Database operations that failed, by operation (flush: a batch of positions; ping: a readiness check).",
		}, []string{"op"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.stage, m.tick, m.overruns, m.online, m.logins, m.loginFails,
		m.packetsIn, m.packetsOut, m.bytesIn, m.bytesOut, m.badPackets, m.slow,
		m.flush, m.flushRows, m.dbErrors,
	)
	m.registerOps()
	// Both series exist from the start, so a dashboard shows 0, not "no data".
	m.dbErrors.WithLabelValues("flush")
	m.dbErrors.WithLabelValues("ping")
	return m
}

// Registry is what the admin listener serves on /metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// watchStages prepares one histogram series per stage name, so the tick's
// StageDone is a map read and an atomic add, never a label lookup that
// allocates. Call it before the tick runs.
func (m *Metrics) watchStages(stages []systems.Stage) {
	for _, s := range stages {
		m.stages[s.Name] = m.stage.WithLabelValues(s.Name)
	}
}

// watchQueues exports the length of the password-hashing queue and of the
// command queue; both are read at scrape time, so they cost nothing between scrapes.
func (m *Metrics) watchQueues(hashWaiting func() int64, commands func() int) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "godmmo_hash_queue_length",
			Help: "Logins waiting for a password-hashing slot.",
		}, func() float64 { return float64(hashWaiting()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "godmmo_command_queue_length",
			Help: "Commands from connections waiting for the tick.",
		}, func() float64 { return float64(commands()) }),
	)
}

// watchBus exports the bus's counters, read at scrape time.
func (m *Metrics) watchBus(stats func() bus.Stats) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "godmmo_bus_batches_published_total",
			Help: "Cell batches of facts the tick published.",
		}, func() float64 { return float64(stats().Published) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "godmmo_bus_messages_delivered_total",
			Help: "Snapshots and batches handed to views.",
		}, func() float64 { return float64(stats().Delivered) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "godmmo_bus_backlog_ticks",
			Help: "Ticks published but not yet delivered to views.",
		}, func() float64 { return float64(stats().Backlog) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "godmmo_bus_stalls_total",
			Help: "Ticks that waited because delivery was a whole backlog behind.",
		}, func() float64 { return float64(stats().Stalls) }),
	)
}

// StageDone records one system's time; it runs on the tick goroutine.
func (m *Metrics) StageDone(name string, d time.Duration) {
	o, ok := m.stages[name]
	if !ok {
		o = m.stage.WithLabelValues(name)
	}
	o.Observe(d.Seconds())
}

// TickDone records a whole tick and notes that the tick is alive for /readyz.
func (m *Metrics) TickDone(d time.Duration, overrun bool) {
	m.tick.Observe(d.Seconds())
	if overrun {
		m.overruns.Inc()
	}
	m.lastTick.Store(time.Now().UnixNano())
}

// LastTick is when the last tick ended, or the zero time before the first.
func (m *Metrics) LastTick() time.Time {
	n := m.lastTick.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// PacketIn counts one message received.
func (m *Metrics) PacketIn(bytes int) {
	m.packetsIn.Inc()
	m.bytesIn.Add(float64(bytes))
}

// PacketOut counts one message written.
func (m *Metrics) PacketOut(bytes int) {
	m.packetsOut.Inc()
	m.bytesOut.Add(float64(bytes))
}

// BadPacket counts one refused packet.
func (m *Metrics) BadPacket() { m.badPackets.Inc() }

// Login counts a login admitted (ok) or refused.
func (m *Metrics) Login(ok bool) {
	if ok {
		m.logins.Inc()
	} else {
		m.loginFails.Inc()
	}
}

// Online follows players entering (+1) and leaving (-1) the world.
func (m *Metrics) Online(delta int) { m.online.Add(float64(delta)) }

// SlowClient counts a client dropped for a full outbox.
func (m *Metrics) SlowClient() { m.slow.Inc() }

// DatabaseError counts a login or registration that failed on the database.
func (m *Metrics) DatabaseError() { m.dbErrors.WithLabelValues("account").Inc() }

// flushed hears every batch the store wrote, for persist.Store.OnFlush.
func (m *Metrics) flushed(rows int, d time.Duration, err error) {
	m.flush.Observe(d.Seconds())
	if err != nil {
		m.dbErrors.WithLabelValues("flush").Inc()
		return
	}
	m.flushRows.Add(float64(rows))
}

// errNoTick means the tick has not run recently enough to call the server ready.
var errNoTick = errors.New("tick not running")

// readiness decides /readyz: the database answers and the tick is running.
// Its parts are functions so the decision can be tested without a server.
type readiness struct {
	ping     func(context.Context) error
	lastTick func() time.Time
	now      func() time.Time
	// maxAge is how old the last tick may be: a few periods, so a single
	// slow tick does not flap readiness, but a stopped tick shows at once.
	maxAge time.Duration
	// pingFailed, if set, hears every failed ping (for the error counter).
	pingFailed func()
	// lastWrite, if set, is the error of the last position write: a server
	// that cannot write positions (a full disk) is not ready, though it reads.
	lastWrite func() error
	// bus, if set, says why a process of a world split over processes
	// cannot take players: cut off from the bus, or its region unheard.
	bus func() error
}

// check returns nil when the server can take players, or why it cannot.
func (r readiness) check(ctx context.Context) error {
	if err := r.ping(ctx); err != nil {
		if r.pingFailed != nil {
			r.pingFailed()
		}
		return fmt.Errorf("database: %w", err)
	}
	if r.lastWrite != nil {
		if err := r.lastWrite(); err != nil {
			return fmt.Errorf("database writes failing: %w", err)
		}
	}
	if r.bus != nil {
		if err := r.bus(); err != nil {
			return err
		}
	}
	last := r.lastTick()
	if last.IsZero() {
		return fmt.Errorf("%w: no tick yet", errNoTick)
	}
	if age := r.now().Sub(last); age > r.maxAge {
		return fmt.Errorf("%w: last tick %v ago", errNoTick, age.Round(time.Millisecond))
	}
	return nil
}
