// Command tickbench is the headless tick benchmark: it builds a world of N
// actors, some walking, with M players' views among them (sessions without
// sockets), and runs the production world (game.NewSim: the tick, the bus,
// the views) without any network. It prints per-system and whole-tick
// p50/p99/max durations, ns per actor and allocations per tick, and apart
// from the tick the fan-out: the bus delivering facts to the views and the
// views rendering them, in ns per delivered fact, so a change can be
// measured before and after.
//
//	go run ./cmd/tickbench                         # 1,000 / 10,000 / 100,000 walking actors
//	go run ./cmd/tickbench -actors 10000 -observers 100 -room
//	GOMAXPROCS=1 go run ./cmd/tickbench -actors 100000 -json
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/godmmo/godmmo/cmd/server/game"
	"github.com/godmmo/godmmo/net/wire"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "tickbench:", err)
		os.Exit(1)
	}
}

// options are tickbench's flags.
type options struct {
	actors     []int
	room       bool
	view       float64
	proto      int
	scenario   Scenario
	json       bool
	quiet      bool
	maxActors  int
	cpuProfile string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("tickbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	actors := fs.String("actors", "1000,10000,100000", "comma-separated world sizes; one run each")
	fs.Float64Var(&o.scenario.Moving, "moving", 1.0, "fraction of actors walking to random targets (0–1)")
	fs.IntVar(&o.scenario.NPCs, "npcs", 0, "wandering NPCs (the npcs mod) besides the actors")
	fs.IntVar(&o.scenario.Observers, "observers", 0, "simulated players among the actors (at most the actors): each sees the actors in its view (all of them with -room)")
	fs.IntVar(&o.proto, "proto", 1, "protocol the observers speak: 1 (the original client's) or 2 (batched intent)")
	fs.BoolVar(&o.room, "room", false, "the tutorial's world: one 2,000-unit room where everyone sees everyone (default: the large world with views)")
	fs.Float64Var(&o.view, "view", -1, "view radius in units, 0 for everyone sees everyone (default: the world's)")
	fs.IntVar(&o.scenario.Ticks, "ticks", 200, "ticks measured per run")
	fs.IntVar(&o.scenario.Warmup, "warmup", -1, "ticks run before measuring (-1: until the walkers have set off and observers have been shown their views)")
	fs.BoolVar(&o.scenario.Allocs, "allocs", true, "count allocations per stage (stops the world between stages, outside the timing)")
	seed := fs.Uint64("seed", 1, "random seed for placement and targets")
	fs.BoolVar(&o.json, "json", false, "print one JSON line per run instead of a table")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
	fs.IntVar(&o.maxActors, "max-actors", 1_000_000, "refuse worlds larger than this (memory guard)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the runs to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	o.scenario.Seed = *seed
	o.scenario.Config = game.Large()
	if o.room {
		o.scenario.Config = game.Room()
	}
	if o.view >= 0 {
		o.scenario.Config.ViewRadius = o.view
	}
	if o.proto < 1 || o.proto > int(wire.Count) {
		return o, fmt.Errorf("-proto must be 1 to %d", wire.Count)
	}
	o.scenario.Proto = wire.Protocol(o.proto - 1)
	for _, f := range strings.Split(*actors, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > o.maxActors {
			return o, fmt.Errorf("-actors: %q is not a count from 1 to %d", f, o.maxActors)
		}
		if o.scenario.Observers > n {
			return o, fmt.Errorf("-observers %d is more than -actors %d", o.scenario.Observers, n)
		}
		o.actors = append(o.actors, n)
	}
	switch {
	case o.scenario.Ticks < 1 || o.scenario.Ticks > 1_000_000:
		return o, fmt.Errorf("-ticks must be 1 to 1,000,000")
	case o.scenario.Warmup < -1:
		return o, fmt.Errorf("-warmup must be -1 (automatic) or more")
	case o.scenario.Moving < 0 || o.scenario.Moving > 1:
		return o, fmt.Errorf("-moving must be 0 to 1")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cpu := cpuModel()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, n := range o.actors {
		sc := o.scenario
		sc.Actors = n
		var report progress
		if !o.quiet {
			report = progressLine(stderr, n)
		}
		r, err := Run(sc, report)
		if !o.quiet {
			fmt.Fprint(stderr, "\r\033[K")
		}
		if err != nil {
			return err
		}
		r.CPU = cpu
		if o.json {
			if err := json.NewEncoder(stdout).Encode(r); err != nil {
				return err
			}
			continue
		}
		if err := printTable(stdout, r); err != nil {
			return err
		}
	}
	return nil
}

// progressLine rewrites one stderr line at most twice a second.
func progressLine(w io.Writer, actors int) progress {
	var last time.Time
	return func(phase string, done, total int, d time.Duration) {
		if now := time.Now(); now.Sub(last) >= 500*time.Millisecond || done == total {
			last = now
			fmt.Fprintf(w, "\r\033[Ktickbench: %d actors: %s %d/%d, last tick %v", actors, phase, done, total, d.Round(time.Microsecond))
		}
	}
}

// printTable writes one run as a human-readable table.
func printTable(w io.Writer, r Result) error {
	view := "everyone sees everyone"
	if r.ViewRadius > 0 {
		view = fmt.Sprintf("view radius %.0f", r.ViewRadius)
	}
	fmt.Fprintf(w, "actors=%d walking=%d npcs=%d observers=%d (v%d) world=%.0f² %s ticks=%d (after %d warm-up) rate=%d Hz GOMAXPROCS=%d %s\n",
		r.Actors, r.Walkers, r.NPCs, r.Observers, r.Proto, r.World, view, r.Ticks, r.Warmup, r.Rate, r.GOMAXPROCS, r.GoVersion)
	if r.CPU != "" {
		fmt.Fprintf(w, "cpu: %s\n", r.CPU)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tp50\tp99\tmax\tns/actor\tallocs/tick\tbytes/tick\t")
	for _, s := range append(r.Stages, r.Tick, r.Delivery, r.Render) {
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%.1f\t%.1f\t%.0f\t\n", s.Name, dur(s.P50), dur(s.P99), dur(s.Max),
			s.NsPerActor, s.AllocsPerTick, s.BytesPerTick)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "overruns (> %v): %d of %d ticks\n", time.Second/time.Duration(r.Rate), r.Overruns, r.Ticks)
	fmt.Fprintf(w, "per tick: %.0f cell batches published; %.0f facts delivered to %d views, %.0f ns per fact (delivery+render p50); %.0f msgs, %s rendered",
		r.Published, r.Facts, r.Observers, r.NsPerFact, r.Messages, size(r.MessageBytes))
	if r.Observers > 0 {
		fmt.Fprintf(w, "; most to one view in one tick: %d msgs", r.MaxObserverMsgs)
	}
	if r.Slow > 0 {
		fmt.Fprintf(w, "; %d views slow", r.Slow)
	}
	fmt.Fprintf(w, "\nheap after setup: %s; setup %v\n\n", size(float64(r.HeapBytes)), r.Setup.Round(time.Millisecond))
	return nil
}

// dur rounds a duration for a table: three significant places are plenty.
func dur(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}

func size(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// cpuModel names the processor for the report, where Linux says it.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
