package main

import (
	"math"
	"time"
)

// The latency histogram's buckets grow by histGrowth from histMin: each is
// 2% wide, so a percentile read from it is within 2% of the true sample,
// and its size stays fixed however long the run (a 250-bot room records
// thousands of chat receipts a second).
const (
	histMin     = time.Microsecond
	histGrowth  = 1.02
	histBuckets = 1000 // 1 µs · 1.02^1000 ≈ 400 s: longer is "no answer", not latency
)

// hist counts latencies in log-spaced buckets. The zero value is empty and
// ready; one goroutine writes it, and it is merged after that goroutine ends.
type hist struct {
	counts [histBuckets]uint32
	n      int64
	max    time.Duration
}

var logGrowth = math.Log(histGrowth)

func bucketOf(d time.Duration) int {
	if d <= histMin {
		return 0
	}
	i := int(math.Log(float64(d)/float64(histMin))/logGrowth) + 1
	return min(i, histBuckets-1)
}

// upperBound is the largest latency bucket i holds.
func upperBound(i int) time.Duration {
	return time.Duration(float64(histMin) * math.Pow(histGrowth, float64(i)))
}

func (h *hist) add(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile is the nearest-rank quantile q (0 < q ≤ 1): the upper bound of
// the bucket holding it, never above the largest sample. 0 when empty.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(float64(h.n)*q - 1e-9))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			if i == histBuckets-1 {
				return h.max // the last bucket holds everything longer
			}
			return min(upperBound(i), h.max)
		}
	}
	return h.max
}
