package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/godmmo/godmmo/cmd/server/game"
	"github.com/godmmo/godmmo/net/wire"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	twoHundred := make([]int, 200)
	for i := range twoHundred {
		twoHundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"one sample", ms(7), 0.5, 7 * time.Millisecond},
		{"one sample p99", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four is the second", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"median of five", ms(1, 2, 3, 4, 5), 0.5, 3 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p99 of 200 is rank 198", ms(twoHundred...), 0.99, 198 * time.Millisecond},
		{"p100", ms(1, 2, 3), 1, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	s := series{durations: []time.Duration{4000, 1000, 3000, 2000}, allocs: 8, bytes: 800}
	got := s.summarize("delta", 1000)
	want := Stats{Name: "delta", P50: 2000, P99: 4000, Max: 4000, NsPerActor: 2, AllocsPerTick: 2, BytesPerTick: 200}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if got := (&series{}).summarize("empty", 10); got != (Stats{Name: "empty"}) {
		t.Errorf("empty series: %+v", got)
	}
}

// TestRunFansOut runs the real world on a small room: every view is shown
// every actor, the facts reach every view, and the tick's own cost does not
// depend on how many watch.
func TestRunFansOut(t *testing.T) {
	run := func(observers int, proto wire.Protocol) Result {
		t.Helper()
		r, err := Run(Scenario{Actors: 200, Moving: 0.5, Observers: observers, Proto: proto, Warmup: -1, Ticks: 40,
			Allocs: true, Seed: 3, Config: game.Room()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, proto := range []wire.Protocol{wire.V1, wire.V2} {
		one, ten := run(1, proto), run(10, proto)
		if one.Walkers != 100 || ten.Walkers != 100 {
			t.Errorf("%v: %d and %d walkers, want 100", proto, one.Walkers, ten.Walkers)
		}
		if one.Facts == 0 || one.Messages == 0 {
			t.Fatalf("%v: nothing delivered (%v) or rendered (%v)", proto, one.Facts, one.Messages)
		}
		// Ten times the views: about ten times the deliveries, the same batches.
		if ten.Facts < 5*one.Facts {
			t.Errorf("%v: %v facts/tick delivered to 10 views, %v to 1", proto, ten.Facts, one.Facts)
		}
		if ten.Published > 1.5*one.Published+2 {
			t.Errorf("%v: %v batches/tick with 10 views, %v with 1: the tick's work grows with views", proto, ten.Published, one.Published)
		}
		if ten.Slow != 0 {
			t.Errorf("%v: %d views slow", proto, ten.Slow)
		}
		if proto == wire.V2 && ten.Messages > 10 {
			t.Errorf("v2: %v messages per tick for 10 views, want at most one each", ten.Messages)
		}
		var names []string
		for _, s := range ten.Stages {
			names = append(names, s.Name)
		}
		if got := strings.Join(names, ","); got != "input,movement,facts,persist" {
			t.Errorf("stages %s, want the production order", got)
		}
		if ten.Tick.Max < ten.Tick.P99 || ten.Tick.P99 < ten.Tick.P50 || ten.Tick.P50 <= 0 {
			t.Errorf("tick stats out of order: %+v", ten.Tick)
		}
	}
}

// TestAutoWarmup checks that the automatic warm-up is long enough to show
// every view everything: in a still room, the measured ticks then have
// nothing to say.
func TestAutoWarmup(t *testing.T) {
	r, err := Run(Scenario{Actors: 150, Observers: 3, Warmup: -1, Ticks: 10, Seed: 1, Config: game.Room()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Warmup < 150/32 {
		t.Errorf("warm-up of %d ticks", r.Warmup)
	}
	if r.Messages != 0 || r.Facts != 0 {
		t.Errorf("still room after warm-up: %v facts delivered, %v msgs rendered per tick, want none", r.Facts, r.Messages)
	}
}

func TestRunCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"-actors", "50,80", "-observers", "3", "-ticks", "5", "-warmup", "1", "-json", "-room", "-proto", "2"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON line per run, got %q", out.String())
	}
	for i, want := range []int{50, 80} {
		var r Result
		if err := json.Unmarshal([]byte(lines[i]), &r); err != nil {
			t.Fatal(err)
		}
		if r.Actors != want || r.Observers != 3 || r.Proto != 2 || r.ViewRadius != 0 || r.Ticks != 5 || len(r.Stages) != 4 {
			t.Errorf("run %d: %+v", i, r)
		}
	}
	if !strings.Contains(errOut.String(), "tickbench: 80 actors: tick 5/5") {
		t.Errorf("no progress line on stderr: %q", errOut.String())
	}

	out.Reset()
	if err := run([]string{"-actors", "20", "-ticks", "3", "-quiet"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"movement", "facts", "tick", "delivery", "render", "ns per fact", "view radius 600"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-actors", "0"},
		{"-actors", "ten"},
		{"-actors", "5", "-observers", "6"},
		{"-moving", "1.5"},
		{"-ticks", "0"},
		{"-proto", "3"},
		{"-warmup", "-2"},
		{"-actors", "2000000"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
