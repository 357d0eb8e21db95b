// Command loadbot is a swarm of bot players that speak the v1 wire protocol
// to a running godmmo over WebSockets, exactly as the original client does
// (JSON in binary frames), or with -proto v2 protocol v2 (docs/protocol-v2.md):
// each registers (an existing account is fine, so
// runs repeat), logs in, clicks to random targets and chats. It prints a
// progress line every few seconds and a report at the end: login, own-move
// and chat latencies, what the bots received, disconnects and errors, and
// the view errors a player would see: an actor shown twice, one taken away
// that was never shown, a walk that jumps (see ViewErrors). With several
// comma-separated -url, the bots are spread over the processes of one world.
// Given the server's -server-pid, it also measures the window after the
// ramp: the server's CPU per player-second and memory, its own CPU, and who
// ran out; bench.sh (task bench:crowd, task bench:room) runs the server and
// the bots on a core each for that.
//
//	go run ./cmd/godmmo -bcrypt-cost 4 &
//	go run ./cmd/loadbot -n 100 -duration 30s
//
// Its accounts are named loadbot-1, loadbot-2, … (-prefix), in whatever
// database the server uses; remove them with
//
//	go run ./cmd/godmmo admin delete -prefix loadbot-
//
// The server's per-address limits would refuse a swarm from one address:
// start it with -exempt 127.0.0.0/8 (and -chat-rate 0 for fast chatters).
//
// It is a load generator, so it is bounded: at most -max-n bots, at most an
// hour, and only against a loopback address unless -allow-remote is given.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "loadbot:", err)
		os.Exit(1)
	}
}

// Hard limits that no flag lifts: a load generator that cannot run away.
const (
	maxBots     = 30000
	maxDuration = time.Hour
)

// config is loadbot's flags.
type config struct {
	url         string   // as given: one URL or several, comma-separated
	urls        []string // bot i plays on urls[(i-1) % len]
	n           int
	ramp        time.Duration
	duration    time.Duration
	moveEvery   time.Duration
	chatEvery   time.Duration
	area        float64
	speed       float64
	seed        uint64
	prefix      string
	progress    time.Duration
	json        bool
	allowRemote bool
	serverPID   int
	cpuProfile  string
	proto       string // "v1" or "v2"
	spread      bool
	checkEvery  int // bot i checks its view when i % checkEvery == 0
}

// v2 reports whether the bots speak protocol v2.
func (c config) v2() bool { return c.proto == "v2" }

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "ws://127.0.0.1:8081/", "the server's WebSocket URL; several, comma-separated, spread the bots over the processes of one world")
	fs.IntVar(&c.n, "n", 10, fmt.Sprintf("bot players (at most %d)", maxBots))
	fs.DurationVar(&c.ramp, "ramp", 5*time.Second, "spread the bots' arrivals over this long")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to play after the ramp")
	fs.DurationVar(&c.moveEvery, "move-every", time.Second, "each bot clicks a new target this often (0: never, idle players)")
	fs.DurationVar(&c.chatEvery, "chat-every", 5*time.Second, "each bot chats this often (0: never)")
	fs.Float64Var(&c.area, "area", 300, "targets stay within ±area of the origin (one room: everyone sees everyone), or of the bot's spawn point with -spread")
	fs.BoolVar(&c.spread, "spread", false, "each bot walks within ±area of where the server spawned it, not of the origin (a large world run with -spawn-spread)")
	fs.IntVar(&c.checkEvery, "check-every", 1, "one bot in this many checks its view (duplicates, unknown leaves, gaps); the rest decode only their own actor's packets and count the others', which is cheaper")
	fs.StringVar(&c.proto, "proto", "v1", "wire protocol: v1 (the original client's) or v2 (subprotocol godmmo.v2, batched intent)")
	fs.Float64Var(&c.speed, "speed", 70, "the server's walking speed, units/s: a click is never farther than a bot walks before the next")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed for targets and timing")
	fs.StringVar(&c.prefix, "prefix", "loadbot-", "usernames are prefix + number, so the bots' accounts are easy to tell apart and to remove afterwards with\n'godmmo admin delete -prefix loadbot-'; change it to run two swarms at once")
	fs.DurationVar(&c.progress, "progress", 5*time.Second, "progress line interval on stderr (0: none)")
	fs.BoolVar(&c.json, "json", false, "print the report as one JSON line")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow a URL that is not a loopback address")
	fs.IntVar(&c.serverPID, "server-pid", 0, "also report this local process's CPU use, CPU per player-second and memory (Linux)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write the loadbot's own CPU profile to this file (go tool pprof reads it)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.urls = strings.Split(c.url, ",")
	for _, u := range c.urls {
		if err := checkURL(u, c.allowRemote); err != nil {
			return c, err
		}
	}
	switch {
	case c.n < 1 || c.n > maxBots:
		return c, fmt.Errorf("-n must be 1 to %d", maxBots)
	case c.ramp < 0 || c.duration <= 0 || c.ramp+c.duration > maxDuration:
		return c, fmt.Errorf("-ramp plus -duration must be positive and at most %v", maxDuration)
	case c.moveEvery != 0 && c.moveEvery < 10*time.Millisecond:
		return c, fmt.Errorf("-move-every must be 0 or at least 10ms")
	case c.chatEvery != 0 && c.chatEvery < 10*time.Millisecond:
		return c, fmt.Errorf("-chat-every must be 0 or at least 10ms")
	case c.area < 20 || c.speed <= 0:
		return c, fmt.Errorf("-area must be at least 20 and -speed positive")
	case c.checkEvery < 1:
		return c, fmt.Errorf("-check-every must be at least 1")
	case c.proto != "v1" && c.proto != "v2":
		return c, fmt.Errorf("-proto must be v1 or v2")
	case !validPrefix(c.prefix):
		return c, fmt.Errorf("-prefix must be 1–24 letters, digits, _ or -")
	}
	return c, nil
}

// checkURL accepts ws:// and wss:// URLs on a loopback address, and others
// only when allowRemote: pointed at someone else's server by mistake, a
// swarm is an attack.
func checkURL(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("-url must be ws:// or wss://, not %q", raw)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("-url %q has no host", raw)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-url %q is not a loopback address; pass -allow-remote to load a server you run elsewhere", raw)
}

func validPrefix(s string) bool {
	if len(s) < 1 || len(s) > 24 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) < 0
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var progress io.Writer
	if cfg.progress > 0 {
		progress = stderr
	}
	r := runSwarm(ctx, cfg, progress)
	if cfg.json {
		return json.NewEncoder(stdout).Encode(r)
	}
	r.print(stdout)
	return nil
}

// swarm is one run: the bots and what they share.
type swarm struct {
	cfg     config
	start   time.Time
	chatTag string // prefix of this run's chat lines, so other chat is ignored
}

// since is the time since the run started, on the monotonic clock every bot shares.
func (s *swarm) since() time.Duration { return time.Since(s.start) }

// runSwarm starts the bots over the ramp, lets them play, stops them and
// reports. Every goroutine it starts has ended when it returns.
func runSwarm(ctx context.Context, cfg config, progress io.Writer) Report {
	sw := &swarm{cfg: cfg, start: time.Now(),
		chatTag: fmt.Sprintf("lb-%x:", rand.New(rand.NewPCG(cfg.seed, uint64(time.Now().UnixNano()))).Uint32())}
	ctx, cancel := context.WithDeadline(ctx, sw.start.Add(cfg.ramp+cfg.duration))
	defer cancel()
	begin := sw.takeSample()
	// The measured window: from the end of the ramp to the end of the run
	// (or until cancelled).
	rampEnd := time.NewTimer(cfg.ramp)
	defer rampEnd.Stop()
	rampC, endC := rampEnd.C, ctx.Done()
	from, to := begin, sample{}

	bots := make([]*bot, cfg.n)
	done := make(chan struct{})
	var running int
	finished := make(chan struct{}, cfg.n)
	for i := range bots {
		bots[i] = newBot(sw, i+1)
	}
	go func() {
		defer close(done)
		for i, b := range bots {
			at := sw.start.Add(cfg.ramp * time.Duration(i) / time.Duration(cfg.n))
			select {
			case <-ctx.Done():
			case <-time.After(time.Until(at)):
			}
			if ctx.Err() != nil {
				// Past the deadline: the rest never start.
				for range bots[i:] {
					finished <- struct{}{}
				}
				return
			}
			go func() { b.run(ctx); finished <- struct{}{} }()
		}
	}()

	var tick <-chan time.Time
	if progress != nil {
		t := time.NewTicker(cfg.progress)
		defer t.Stop()
		tick = t.C
	}
	var lastIn int64
	lastAt := sw.start
	for running < cfg.n {
		select {
		case <-finished:
			running++
		case <-rampC:
			from, rampC = sw.takeSample(), nil
		case <-endC:
			to, endC = sw.takeSample(), nil
		case now := <-tick:
			in := printProgress(progress, sw, bots, lastIn, now.Sub(lastAt))
			lastIn, lastAt = in, now
		}
	}
	<-done
	if progress != nil && time.Since(lastAt) > cfg.progress/4 {
		printProgress(progress, sw, bots, lastIn, time.Since(lastAt))
	}

	end := sw.takeSample()
	if endC != nil { // every bot ended before the run did
		to = end
	}
	self, _ := readStatus(0)

	stats := make([]*botStats, len(bots))
	for i, b := range bots {
		stats[i] = b.finish()
	}
	wall := end.at
	r := summarize(cfg.url, stats, wall)
	r.ViewCheckers = cfg.n / cfg.checkEvery
	whole := measure(begin, end, stats, self.Cores)
	r.LoadbotCPU, r.ServerCPU = whole.LoadbotCPU, whole.ServerCPU
	r.Measured = measure(from, to, stats, self.Cores)
	return r
}

// printProgress writes one line: who is connected and playing, what arrives,
// and how many errors so far. It returns the packets received until now.
func printProgress(w io.Writer, sw *swarm, bots []*bot, lastIn int64, since time.Duration) int64 {
	var connected, playing, errs, drops int
	var in, bytesIn int64
	for _, b := range bots {
		in += b.packetsIn.Load()
		bytesIn += b.bytesIn.Load()
		if b.playing.Load() {
			playing++
		}
		b.mu.Lock()
		if b.stats.connected {
			connected++
		}
		for _, n := range b.stats.errors {
			errs += n
		}
		if b.stats.disconnect != "" {
			drops++
		}
		b.mu.Unlock()
	}
	rate := 0.0
	if since > 0 {
		rate = float64(in-lastIn) / since.Seconds()
	}
	fmt.Fprintf(w, "loadbot %5.1fs: connected %d/%d, playing %d, received %.0f packets/s (%.1f MiB total), errors %d, disconnects %d\n",
		sw.since().Seconds(), connected, len(bots), playing, rate, float64(bytesIn)/(1<<20), errs, drops)
	return in
}
