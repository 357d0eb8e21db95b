package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// botStats is what one bot saw. Its owner goroutines fill it; the swarm
// reads it only after the bot has ended.
type botStats struct {
	url        string // the server it plays on
	connected  bool
	registered bool // a new account; false with taken when it existed already
	taken      bool
	loggedIn   bool
	login      hist
	// targets are Target packets sent; moved those whose effect was seen;
	// neverMoved those superseded by the next click without any effect.
	targets, moved, neverMoved int
	move                       hist
	chatsSent, chatsReceived   int
	chat                       hist
	messagesIn                 int64 // WebSocket messages: v1 one per packet, v2 one per tick at most
	packetsIn, bytesIn         int64
	packetsOut                 int64
	// playing is how long the bot was logged in: the denominator of its
	// rates; playFrom and playTo are when, since the run started.
	playing, playFrom, playTo time.Duration
	disconnect                string // why the server ended the connection, "" if it did not
	errors                    map[string]int
	view                      ViewErrors
}

// ViewErrors count what a player's screen would get wrong: the server's
// views must never show an actor twice, take away one they never showed,
// or make a walking actor jump.
type ViewErrors struct {
	// Duplicates: an actor shown (v1 full model, v2 E) while the bot
	// already shows it, with no Disconnect or L between.
	Duplicates int `json:"duplicates"`
	// UnknownLeaves: a Disconnect (v1) or an L or Q (v2) of an actor the
	// bot does not show.
	UnknownLeaves int `json:"unknown_leaves"`
	// Gaps (v2, whose intents make walks exact): an M that starts more
	// than gapSlack off the path of the actor's last E or M: it jumped.
	Gaps int `json:"gaps"`
}

func (v *ViewErrors) add(o ViewErrors) {
	v.Duplicates += o.Duplicates
	v.UnknownLeaves += o.UnknownLeaves
	v.Gaps += o.Gaps
}

func (s *botStats) fail(kind string) {
	if s.errors == nil {
		s.errors = make(map[string]int)
	}
	s.errors[kind]++
}

// Latency is a percentile pair in milliseconds, for people and for -json.
type Latency struct {
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	N   int64   `json:"n"`
}

func latency(h *hist) Latency {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Latency{P50: ms(h.quantile(0.50)), P99: ms(h.quantile(0.99)), Max: ms(h.max), N: h.n}
}

// Report is the end-of-run summary; its JSON form is loadbot's -json line.
type Report struct {
	URL       string  `json:"url"`
	Bots      int     `json:"bots"`
	Seconds   float64 `json:"seconds"`
	Connected int     `json:"connected"`
	// Registered counts new accounts; Existing those already registered (a
	// repeated run), which is fine.
	Registered int     `json:"registered"`
	Existing   int     `json:"existing"`
	LoggedIn   int     `json:"logged_in"`
	Login      Latency `json:"login"`

	// Targets is how many clicks the bots sent. Move is Target sent → the
	// first own position that walks toward it. NeverMoved is clicks whose
	// effect was not seen before the next click.
	Targets    int     `json:"targets"`
	Moved      int     `json:"moved"`
	NeverMoved int     `json:"never_moved"`
	Move       Latency `json:"own_move"`

	// Chat is Chat sent → received by another bot, one sample per receipt.
	ChatsSent     int     `json:"chats_sent"`
	ChatsReceived int     `json:"chats_received"`
	Chat          Latency `json:"chat"`

	// Per bot per second of being logged in. A v2 message holds a tick's
	// packets; a v1 message is one packet.
	MessagesInPerBotSec float64 `json:"messages_in_per_bot_s"`
	PacketsInPerBotSec  float64 `json:"packets_in_per_bot_s"`
	BytesInPerBotSec    float64 `json:"bytes_in_per_bot_s"`
	MessagesIn          int64   `json:"messages_in"`
	PacketsIn           int64   `json:"packets_in"`
	BytesIn             int64   `json:"bytes_in"`
	PacketsOut          int64   `json:"packets_out"`

	Disconnects map[string]int `json:"disconnects"`
	Errors      map[string]int `json:"errors"`
	View        ViewErrors     `json:"view_errors"`
	// ViewCheckers is how many bots checked their view (-check-every).
	ViewCheckers int `json:"view_checkers"`
	// PerTarget counts bots and logins per server URL, with several.
	PerTarget map[string][2]int `json:"per_target,omitempty"`

	// CPU is the share of one core used over the run (1.0 = one core busy):
	// the loadbot's own, and the server's when -server-pid was given.
	LoadbotCPU float64  `json:"loadbot_cpu"`
	ServerCPU  *float64 `json:"server_cpu,omitempty"`

	// Measured is the part of the run after the ramp, when every bot has
	// arrived: what the server's CPU and memory per player come from.
	Measured Window `json:"measured"`
}

// saturated is the share of its cores above which a process counts as
// having run out of CPU: the rest goes to the kernel and other work.
const saturated = 0.9

// sharedWarn is the other processes' CPU, in cores, above which the report
// warns that the machine was shared.
const sharedWarn = 0.1

// sample is what the loadbot reads of itself and the server at one moment.
type sample struct {
	at               time.Duration // since the run started
	self, server     time.Duration // CPU time used so far
	machine          time.Duration // by every process on the machine
	selfOK, serverOK bool
	machineOK        bool
	status           procStatus // the server's memory and cores, when statusOK
	statusOK         bool
}

// takeSample reads both processes' CPU time now.
func (sw *swarm) takeSample() sample {
	s := sample{at: sw.since()}
	s.self, s.selfOK = cpuTime(0)
	s.machine, s.machineOK = machineBusy()
	if sw.cfg.serverPID > 0 {
		s.server, s.serverOK = cpuTime(sw.cfg.serverPID)
		s.status, s.statusOK = readStatus(sw.cfg.serverPID)
	}
	return s
}

// cores is the CPU a process used between a and b, in cores (1.0 = one busy).
func cores(a, b time.Duration, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return (b - a).Seconds() / wall.Seconds()
}

// Window is the measured part of a run and who ran out of CPU in it. Its
// figures count only what happened between its two samples.
type Window struct {
	Seconds float64 `json:"seconds"`
	// PlayerSeconds is the bots' time logged in within the window;
	// Players that over the window's length: the mean number playing.
	PlayerSeconds float64 `json:"player_seconds"`
	Players       float64 `json:"players"`
	// LoadbotCPU is in cores, of the LoadbotCores it may run on.
	LoadbotCPU   float64 `json:"loadbot_cpu"`
	LoadbotCores int     `json:"loadbot_cores"`
	// ServerCPU (cores, of ServerCores) and ServerMicrosPerPlayerSecond
	// (its CPU time over PlayerSeconds) need -server-pid.
	ServerCPU                   *float64 `json:"server_cpu,omitempty"`
	ServerCores                 int      `json:"server_cores,omitempty"`
	ServerMicrosPerPlayerSecond *float64 `json:"server_cpu_us_per_player_s,omitempty"`
	// ServerRSS is the server's resident memory at the window's end;
	// ServerPeakRSS the most it ever held (VmHWM), in bytes.
	ServerRSS     int64 `json:"server_rss_bytes,omitempty"`
	ServerPeakRSS int64 `json:"server_peak_rss_bytes,omitempty"`
	// OthersCPU is what every other process on the machine used, in
	// cores: on a shared machine, work that may have taken the server's or
	// the bots' core.
	OthersCPU *float64 `json:"others_cpu,omitempty"`
	// RanOut names the processes that used more than saturated of their
	// cores ("server", "loadbot"), or "machine" when server and bots share
	// its cores and together with the rest used more than saturated of
	// them; empty when none did.
	RanOut []string `json:"ran_out"`
	// Invalid says why the run does not measure the server: the bots ran
	// out of CPU, so what they report is their own delay. Empty when valid.
	Invalid string `json:"invalid,omitempty"`
}

// measure is the window between samples a and b: stats give the bots'
// playing times, selfCores the cores the loadbot may run on.
func measure(a, b sample, stats []*botStats, selfCores int) Window {
	wall := b.at - a.at
	w := Window{Seconds: wall.Seconds(), LoadbotCores: max(selfCores, 1), RanOut: []string{}}
	for _, s := range stats {
		if s.playTo > s.playFrom {
			w.PlayerSeconds += max(0, min(s.playTo, b.at)-max(s.playFrom, a.at)).Seconds()
		}
	}
	if wall <= 0 {
		return w
	}
	w.Players = w.PlayerSeconds / w.Seconds
	if a.selfOK && b.selfOK {
		w.LoadbotCPU = cores(a.self, b.self, wall)
	}
	if a.serverOK && b.serverOK {
		c := cores(a.server, b.server, wall)
		w.ServerCPU = &c
		w.ServerCores = max(b.status.Cores, 1)
		if w.PlayerSeconds > 0 {
			us := float64((b.server - a.server).Microseconds()) / w.PlayerSeconds
			w.ServerMicrosPerPlayerSecond = &us
		}
		if c > saturated*float64(w.ServerCores) {
			w.RanOut = append(w.RanOut, "server")
		}
	}
	if b.statusOK {
		w.ServerRSS, w.ServerPeakRSS = b.status.RSS, b.status.PeakRSS
	}
	if a.machineOK && b.machineOK {
		o := max(0, cores(a.machine, b.machine, wall)-w.LoadbotCPU)
		if w.ServerCPU != nil {
			o = max(0, o-*w.ServerCPU)
		}
		w.OthersCPU = &o
	}
	if w.ServerCPU != nil && w.ServerCores > 1 && w.LoadbotCores == w.ServerCores {
		// Unpinned: server and bots share the machine's cores, and neither
		// alone may fill them while both together do.
		all := *w.ServerCPU + w.LoadbotCPU
		if w.OthersCPU != nil {
			all += *w.OthersCPU
		}
		if all > saturated*float64(w.ServerCores) && len(w.RanOut) == 0 {
			w.RanOut = append(w.RanOut, "machine")
		}
	}
	if w.LoadbotCPU > saturated*float64(w.LoadbotCores) {
		w.RanOut = append(w.RanOut, "loadbot")
		w.Invalid = fmt.Sprintf("the loadbot used %.0f%% of its %d core(s): its own delays, not the server's, are in the figures; run fewer bots or give it more cores",
			100*w.LoadbotCPU/float64(w.LoadbotCores), w.LoadbotCores)
	}
	return w
}

// print writes the window's lines of the report.
func (w Window) print(wr io.Writer) {
	fmt.Fprintf(wr, "  measured %.1fs after the ramp: %.0f players on average (%.0f player-seconds)\n", w.Seconds, w.Players, w.PlayerSeconds)
	if w.ServerCPU != nil {
		fmt.Fprintf(wr, "  server: %.2f of %d core(s)", *w.ServerCPU, w.ServerCores)
		if w.ServerMicrosPerPlayerSecond != nil {
			fmt.Fprintf(wr, ", %.0f µs CPU per player-second", *w.ServerMicrosPerPlayerSecond)
		}
		fmt.Fprintf(wr, "; RSS %.0f MiB at the end, %.0f MiB peak\n", float64(w.ServerRSS)/(1<<20), float64(w.ServerPeakRSS)/(1<<20))
	}
	fmt.Fprintf(wr, "  loadbot: %.2f of %d core(s)", w.LoadbotCPU, w.LoadbotCores)
	if w.OthersCPU != nil {
		fmt.Fprintf(wr, "; other processes on the machine: %.2f core(s)", *w.OthersCPU)
	}
	fmt.Fprintln(wr)
	ran := "nothing"
	if len(w.RanOut) > 0 {
		ran = strings.Join(w.RanOut, " and ") + " (over " + strconv.Itoa(int(saturated*100)) + "% of its cores)"
	}
	fmt.Fprintf(wr, "  ran out of CPU: %s\n", ran)
	if w.OthersCPU != nil && *w.OthersCPU > sharedWarn {
		fmt.Fprintf(wr, "  shared machine: other processes used %.2f core(s); they may have taken the server's or the bots' core\n", *w.OthersCPU)
	}
	if w.Invalid != "" {
		fmt.Fprintf(wr, "  INVALID RUN: %s\n", w.Invalid)
	}
}

// summarize merges the bots' stats into the report; wall is the run's length.
func summarize(url string, stats []*botStats, wall time.Duration) Report {
	r := Report{URL: url, Bots: len(stats), Seconds: wall.Seconds(),
		Disconnects: map[string]int{}, Errors: map[string]int{}, PerTarget: map[string][2]int{}}
	var login, move, chat hist
	var playing time.Duration
	for _, s := range stats {
		if s.connected {
			r.Connected++
		}
		if s.registered {
			r.Registered++
		}
		if s.taken {
			r.Existing++
		}
		if s.loggedIn {
			r.LoggedIn++
		}
		login.merge(&s.login)
		move.merge(&s.move)
		chat.merge(&s.chat)
		r.Targets += s.targets
		r.Moved += s.moved
		r.NeverMoved += s.neverMoved
		r.ChatsSent += s.chatsSent
		r.ChatsReceived += s.chatsReceived
		r.MessagesIn += s.messagesIn
		r.PacketsIn += s.packetsIn
		r.BytesIn += s.bytesIn
		r.PacketsOut += s.packetsOut
		playing += s.playing
		if s.disconnect != "" {
			r.Disconnects[s.disconnect]++
		}
		for k, n := range s.errors {
			r.Errors[k] += n
		}
		r.View.add(s.view)
		t := r.PerTarget[s.url]
		t[0]++
		if s.loggedIn {
			t[1]++
		}
		r.PerTarget[s.url] = t
	}
	r.Login, r.Move, r.Chat = latency(&login), latency(&move), latency(&chat)
	if sec := playing.Seconds(); sec > 0 {
		r.MessagesInPerBotSec = float64(r.MessagesIn) / sec
		r.PacketsInPerBotSec = float64(r.PacketsIn) / sec
		r.BytesInPerBotSec = float64(r.BytesIn) / sec
	}
	return r
}

// print writes the report for a person.
func (r Report) print(w io.Writer) {
	fmt.Fprintf(w, "loadbot: %d bots against %s for %.1fs\n", r.Bots, r.URL, r.Seconds)
	fmt.Fprintf(w, "  connected %d, new accounts %d, existing %d, logged in %d\n", r.Connected, r.Registered, r.Existing, r.LoggedIn)
	fmt.Fprintf(w, "  login     p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (n=%d)\n", r.Login.P50, r.Login.P99, r.Login.Max, r.Login.N)
	fmt.Fprintf(w, "  own move  p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (n=%d of %d targets; never moved %d)\n",
		r.Move.P50, r.Move.P99, r.Move.Max, r.Move.N, r.Targets, r.NeverMoved)
	fmt.Fprintf(w, "  chat      p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (%d sent, %d received)\n",
		r.Chat.P50, r.Chat.P99, r.Chat.Max, r.ChatsSent, r.ChatsReceived)
	fmt.Fprintf(w, "  received per bot per second: %.0f packets in %.0f messages, %.1f KiB (total %d packets, %.1f MiB); sent %d packets\n",
		r.PacketsInPerBotSec, r.MessagesInPerBotSec, r.BytesInPerBotSec/1024, r.PacketsIn, float64(r.BytesIn)/(1<<20), r.PacketsOut)
	fmt.Fprintf(w, "  cpu: loadbot %.0f%% of a core", r.LoadbotCPU*100)
	if r.ServerCPU != nil {
		fmt.Fprintf(w, ", server %.0f%% of a core", *r.ServerCPU*100)
	}
	fmt.Fprintln(w)
	r.Measured.print(w)
	fmt.Fprintf(w, "  view errors (%d bots checking): duplicates %d, leaves of unknown actors %d, gaps %d\n",
		r.ViewCheckers, r.View.Duplicates, r.View.UnknownLeaves, r.View.Gaps)
	if len(r.PerTarget) > 1 {
		for _, u := range slices.Sorted(maps.Keys(r.PerTarget)) {
			fmt.Fprintf(w, "  %s: %d bots, %d logged in\n", u, r.PerTarget[u][0], r.PerTarget[u][1])
		}
	}
	fmt.Fprintf(w, "  disconnects: %s\n  errors: %s\n", counts(r.Disconnects), counts(r.Errors))
}

// counts lists a map as "kind ×n, …", most frequent first.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
