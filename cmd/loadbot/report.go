package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
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
	// playing is how long the bot was logged in: the denominator of its rates.
	playing    time.Duration
	disconnect string // why the server ended the connection, "" if it did not
	errors     map[string]int
	view       ViewErrors
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
	// PerTarget counts bots and logins per server URL, with several.
	PerTarget map[string][2]int `json:"per_target,omitempty"`

	// CPU is the share of one core used over the run (1.0 = one core busy):
	// the loadbot's own, and the server's when -server-pid was given.
	LoadbotCPU float64  `json:"loadbot_cpu"`
	ServerCPU  *float64 `json:"server_cpu,omitempty"`
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
	fmt.Fprintf(w, "  view errors: duplicates %d, leaves of unknown actors %d, gaps %d\n", r.View.Duplicates, r.View.UnknownLeaves, r.View.Gaps)
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
