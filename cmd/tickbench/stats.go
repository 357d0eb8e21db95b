package main

import (
	"math"
	"slices"
	"time"
)

// Stats summarises one stage (or the whole tick) over the measured ticks.
type Stats struct {
	Name string `json:"name"`
	// P50, P99 and Max are durations in nanoseconds.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
	// NsPerActor is P50 divided by the number of actors: the cost the stage
	// adds per actor in a typical tick.
	NsPerActor float64 `json:"ns_per_actor"`
	// AllocsPerTick and BytesPerTick are heap allocations per tick, averaged.
	AllocsPerTick float64 `json:"allocs_per_tick"`
	BytesPerTick  float64 `json:"alloc_bytes_per_tick"`
}

// series collects one stage's samples, one per tick.
type series struct {
	durations []time.Duration
	allocs    uint64
	bytes     uint64
}

// summarize turns samples into Stats. actors is for NsPerActor; it may be 0.
func (s *series) summarize(name string, actors int) Stats {
	st := Stats{Name: name}
	n := len(s.durations)
	if n == 0 {
		return st
	}
	sorted := slices.Clone(s.durations)
	slices.Sort(sorted)
	st.P50 = percentile(sorted, 0.50)
	st.P99 = percentile(sorted, 0.99)
	st.Max = sorted[n-1]
	if actors > 0 {
		st.NsPerActor = float64(st.P50) / float64(actors)
	}
	st.AllocsPerTick = float64(s.allocs) / float64(n)
	st.BytesPerTick = float64(s.bytes) / float64(n)
	return st
}

// percentile is the nearest-rank percentile p (0 < p ≤ 1) of sorted, which
// must be ascending and non-empty: the smallest sample with at least p of
// the samples at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(float64(len(sorted))*p - 1e-9)) // 1e-9: 200 × 0.99 is rank 198, not 199
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
