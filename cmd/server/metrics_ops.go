package server

import (
	"cmp"
	"runtime/debug"
	"strings"

	"github.com/godmmo/godmmo/net/guard"

	"github.com/prometheus/client_golang/prometheus"
)

// opsMetrics count what the limits refuse, how connections end, and the
// accounts made and commands taken.
type opsMetrics struct {
	refusals      *prometheus.CounterVec
	connections   prometheus.Gauge
	disconnects   *prometheus.CounterVec
	registrations prometheus.Counter
	commands      *prometheus.CounterVec
	adminActions  *prometheus.CounterVec
}

var _ guard.OpsMetrics = (*Metrics)(nil)

// refusalLabels and disconnectLabels exist from the start, so that a
// dashboard shows 0 rather than "no data".
var (
	refusalLabels = []string{"origin", "null_origin", "host", "banned_address", "banned_account", "conns_total", "conns_addr",
		"login_locked_account", "login_locked_addr", "login_timeout", "registrations", "muted"}
	disconnectLabels = []string{"normal", "going_away", "lost", "too_big", "flood", "invalid_utf8", "protocol_error",
		"slow", "unresponsive", "kicked", "banned", "login_timeout", "other"}
)

func (m *Metrics) registerOps() {
	o := &m.ops
	o.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "godmmo_refusals_total",
		Help: "Connections, logins, registrations and chat lines refused by a limit, a ban or an origin check, by reason.",
	}, []string{"reason"})
	o.connections = prometheus.NewGauge(prometheus.GaugeOpts{Name: "godmmo_connections_open", Help: "WebSocket connections open now, logged in or not."})
	o.disconnects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "godmmo_disconnects_total",
		Help: "Connections that ended, by reason (the close code's meaning).",
	}, []string{"reason"})
	o.registrations = prometheus.NewCounter(prometheus.CounterOpts{Name: "godmmo_registrations_total", Help: "Accounts created."})
	o.commands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "godmmo_commands_total", Help: "Commands taken from players (past their checks and limits), by name: Chat is the chat lines.",
	}, []string{"command"})
	o.adminActions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "godmmo_admin_actions_total", Help: "Operators' actions through the admin API, by action.",
	}, []string{"action"})
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "godmmo_build_info",
		Help:        "Always 1; its labels say which build is running.",
		ConstLabels: buildLabels(),
	})
	info.Set(1)
	for _, l := range refusalLabels {
		o.refusals.WithLabelValues(l)
	}
	for _, l := range disconnectLabels {
		o.disconnects.WithLabelValues(l)
	}
	m.reg.MustRegister(o.refusals, o.connections, o.disconnects, o.registrations, o.commands, o.adminActions, info)
}

// buildLabels are the version, VCS revision and Go version of this binary.
func buildLabels() prometheus.Labels {
	v := buildVersion()
	return prometheus.Labels{"version": v.version, "revision": v.revision, "goversion": v.goVersion}
}

type version struct{ version, revision, goVersion string }

// buildVersion reads what the Go toolchain stamped into the binary.
func buildVersion() version {
	v := version{version: "unknown", revision: cmp.Or(revision, "unknown"), goVersion: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.goVersion = bi.GoVersion
	if bi.Main.Version != "" {
		v.version = bi.Main.Version
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified {
		v.revision += "-dirty"
	}
	return v
}

// Refused counts a refusal by reason.
func (m *Metrics) Refused(reason string) { m.ops.refusals.WithLabelValues(reason).Inc() }

// Connections follows open connections.
func (m *Metrics) Connections(delta int) { m.ops.connections.Add(float64(delta)) }

// Disconnected counts an ended connection by reason.
func (m *Metrics) Disconnected(reason string) { m.ops.disconnects.WithLabelValues(reason).Inc() }

// Registered counts an account created.
func (m *Metrics) Registered() { m.ops.registrations.Inc() }

// knowCommands makes the series of the registered commands (taken, and
// refused for their rate) exist from the start.
func (m *Metrics) knowCommands(names []string) {
	for _, n := range names {
		m.ops.commands.WithLabelValues(n)
		m.ops.refusals.WithLabelValues(strings.ToLower(n) + "_rate")
	}
}

// Command counts a command taken from a player.
func (m *Metrics) Command(name string) { m.ops.commands.WithLabelValues(name).Inc() }

// adminAction counts an operator's action.
func (m *Metrics) adminAction(action string) { m.ops.adminActions.WithLabelValues(action).Inc() }
