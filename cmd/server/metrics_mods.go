package server

import "github.com/prometheus/client_golang/prometheus"

// watchMods exports how many mods' command handlers panicked, read at
// scrape time.
func (m *Metrics) watchMods(panics func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "godmmo_mod_command_panics_total",
		Help: "Mods' command handlers that panicked: each was recovered, logged with its stack and answered with a Deny.",
	}, func() float64 { return float64(panics()) }))
}
