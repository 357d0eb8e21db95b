package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/systems"
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

// TestRunSharesEncoding runs the real pipeline on a small room: the facts
// are encoded once however many observe them, and every observer gets them.
func TestRunSharesEncoding(t *testing.T) {
	// Not parallel: arche copies components holding pointers without write
	// barriers, which concurrent garbage collection can catch (see docs/performance.md).
	run := func(observers int, proto ecs.Protocol) Result {
		t.Helper()
		r, err := Run(Scenario{Actors: 200, Moving: 0.5, Observers: observers, Proto: proto, Warmup: -1, Ticks: 40,
			Allocs: true, Seed: 3, Config: systems.RoomConfig()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, proto := range []ecs.Protocol{ecs.V1, ecs.V2} {
		one, ten := run(1, proto), run(10, proto)
		if one.Walkers != 100 || ten.Walkers != 100 {
			t.Errorf("v%d: %d and %d walkers, want 100", proto+1, one.Walkers, ten.Walkers)
		}
		if one.EncodedMsgs == 0 || one.DeliveredMsgs == 0 {
			t.Fatalf("v%d: nothing encoded (%v) or delivered (%v)", proto+1, one.EncodedMsgs, one.DeliveredMsgs)
		}
		// Ten times the observers: about ten times the deliveries, about the
		// same encoding (v1 encodes each player's own position for it alone).
		if ten.DeliveredMsgs < 5*one.DeliveredMsgs {
			t.Errorf("v%d: delivered %v msgs/tick to 10 observers, %v to 1", proto+1, ten.DeliveredMsgs, one.DeliveredMsgs)
		}
		if ten.EncodedMsgs > 1.5*one.EncodedMsgs+10 {
			t.Errorf("v%d: encoded %v msgs/tick for 10 observers, %v for 1: encoding grows with observers", proto+1, ten.EncodedMsgs, one.EncodedMsgs)
		}
		if ten.Dropped != 0 {
			t.Errorf("v%d: %d dropped", proto+1, ten.Dropped)
		}
		if proto == ecs.V2 && (ten.BatchMsgs == 0 || ten.BatchMsgs > 10 || ten.DeliveredMsgs > 10) {
			t.Errorf("v2: %v batches and %v messages per tick for 10 observers, want at most one each", ten.BatchMsgs, ten.DeliveredMsgs)
		}
		var names []string
		for _, s := range ten.Stages {
			names = append(names, s.Name)
		}
		if got := strings.Join(names, ","); got != "input,movement,interest,delta,broadcast,persist" {
			t.Errorf("stages %s, want the production order", got)
		}
		if ten.Tick.Max < ten.Tick.P99 || ten.Tick.P99 < ten.Tick.P50 || ten.Tick.P50 <= 0 {
			t.Errorf("tick stats out of order: %+v", ten.Tick)
		}
	}
}

// TestAutoWarmup checks that the automatic warm-up is long enough for the
// interest system to show every observer everything: in a still room, the
// measured ticks then have nothing to say.
func TestAutoWarmup(t *testing.T) {
	// Not parallel: arche copies components holding pointers without write
	// barriers, which concurrent garbage collection can catch (see docs/performance.md).
	r, err := Run(Scenario{Actors: 150, Observers: 3, Warmup: -1, Ticks: 10, Seed: 1, Config: systems.RoomConfig()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Warmup < 150/32 {
		t.Errorf("warm-up of %d ticks", r.Warmup)
	}
	if r.DeliveredMsgs != 0 || r.EncodedMsgs != 0 {
		t.Errorf("still room after warm-up: %v msgs encoded, %v delivered per tick, want none", r.EncodedMsgs, r.DeliveredMsgs)
	}
}

func TestRunCommand(t *testing.T) {
	// Not parallel: arche copies components holding pointers without write
	// barriers, which concurrent garbage collection can catch (see docs/performance.md).
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
		if r.Actors != want || r.Observers != 3 || r.Proto != 2 || r.ViewRadius != 0 || r.Ticks != 5 || len(r.Stages) != 6 {
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
	for _, want := range []string{"movement", "broadcast", "tick", "encoded per tick:", "view radius 600"} {
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
