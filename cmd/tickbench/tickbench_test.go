package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"
	"time"
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

// TestRunSharesEncoding runs the real pipeline on a small world: every walker
// changes every tick and is encoded once, and every observer receives it.
func TestRunSharesEncoding(t *testing.T) {
	t.Parallel()
	for _, observers := range []int{1, 10} {
		r, err := Run(Scenario{Actors: 200, Moving: 0.5, Observers: observers, Warmup: 2, Ticks: 10, Allocs: true, Seed: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Walkers != 100 {
			t.Errorf("%d observers: %d walkers, want 100", observers, r.Walkers)
		}
		// Encoding grows with the walkers, not with walkers × observers.
		if r.EncodedMsgs != 100 {
			t.Errorf("%d observers: %v messages encoded per tick, want 100 (one per walker)", observers, r.EncodedMsgs)
		}
		if want := float64(100 * observers); r.DeliveredMsgs != want {
			t.Errorf("%d observers: %v messages delivered per tick, want %v", observers, r.DeliveredMsgs, want)
		}
		if r.DeliveredBytes != r.EncodedBytes*float64(observers) {
			t.Errorf("%d observers: delivered %v bytes per tick, want %v × encoded %v", observers, r.DeliveredBytes, observers, r.EncodedBytes)
		}
		if r.MaxObserverMsgs != 100 || r.Dropped != 0 {
			t.Errorf("%d observers: max %d per observer, %d dropped", observers, r.MaxObserverMsgs, r.Dropped)
		}
		var names []string
		for _, s := range r.Stages {
			names = append(names, s.Name)
		}
		if got := strings.Join(names, ","); got != "input,movement,interest,delta,broadcast,persist" {
			t.Errorf("stages %s, want the production order", got)
		}
		if r.Tick.Max < r.Tick.P99 || r.Tick.P99 < r.Tick.P50 || r.Tick.P50 <= 0 {
			t.Errorf("tick stats out of order: %+v", r.Tick)
		}
	}
}

// TestRunJoin lets the interest system introduce the world to observers:
// each learns every other actor once, in full, spread over ticks.
func TestRunJoin(t *testing.T) {
	t.Parallel()
	r, err := Run(Scenario{Actors: 100, Observers: 2, Join: true, Ticks: 10, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := math.Round(r.DeliveredMsgs * float64(r.Ticks)); got != 2*99 {
		t.Errorf("observers received %v full models, want %d", got, 2*99)
	}
	if got := math.Round(r.EncodedMsgs * float64(r.Ticks)); got < 99 || got >= 2*99 {
		t.Errorf("%v full models encoded, want each actor about once (99 to 197)", got)
	}
	if r.MaxObserverMsgs > 32 {
		t.Errorf("an observer got %d models in one tick, more than FullPerTick", r.MaxObserverMsgs)
	}
}

func TestRunCommand(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if err := run([]string{"-actors", "50,80", "-observers", "3", "-ticks", "5", "-warmup", "1", "-json"}, &out, &errOut); err != nil {
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
		if r.Actors != want || r.Observers != 3 || r.Ticks != 5 || len(r.Stages) != 6 {
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
	for _, want := range []string{"movement", "broadcast", "tick", "encoded per tick: 20 msgs"} {
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
		{"-actors", "2000000"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
