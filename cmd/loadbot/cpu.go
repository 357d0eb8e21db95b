package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's CPU times. It
// is 100 on every mainstream kernel; reading it needs sysconf, i.e. cgo.
const clockTicks = 100

// procName is a process's directory under /proc: pid 0 is this process.
func procName(pid int) string {
	if pid > 0 {
		return "/proc/" + strconv.Itoa(pid)
	}
	return "/proc/self"
}

// cpuTime is the user plus system CPU time a process has used, read from
// /proc (pid 0 is this process). ok is false where there is no /proc (or
// no such process), and the report then leaves CPU out.
func cpuTime(pid int) (d time.Duration, ok bool) {
	b, err := os.ReadFile(procName(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) from a stat line.
// The command name (field 2) may hold spaces, so count from its closing ')'.
func parseStatCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, true
}

// procStatus is what /proc/PID/status says about a process's memory and
// the cores it may run on.
type procStatus struct {
	RSS, PeakRSS int64 // bytes: VmRSS now, VmHWM the most it ever held
	Cores        int   // CPUs in Cpus_allowed_list (taskset -c 1: one)
}

// readStatus reads /proc/PID/status (pid 0 is this process); ok is false
// where there is none.
func readStatus(pid int) (procStatus, bool) {
	b, err := os.ReadFile(procName(pid) + "/status")
	if err != nil {
		return procStatus{}, false
	}
	return parseStatus(string(b)), true
}

// parseStatus reads VmRSS, VmHWM ("12345 kB") and Cpus_allowed_list
// ("0", "0-1", "0,2-3"); what a line lacks stays 0.
func parseStatus(s string) procStatus {
	var st procStatus
	for line := range strings.Lines(s) {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "VmRSS":
			st.RSS = kilobytes(val)
		case "VmHWM":
			st.PeakRSS = kilobytes(val)
		case "Cpus_allowed_list":
			st.Cores = countCPUs(val)
		}
	}
	return st
}

// kilobytes reads "12345 kB" as bytes, 0 if it is not that.
func kilobytes(v string) int64 {
	n, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}

// countCPUs counts the CPUs of a list such as "0,2-3"; 0 if it is malformed.
func countCPUs(list string) int {
	n := 0
	for part := range strings.SplitSeq(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || b < a {
			return 0
		}
		n += b - a + 1
	}
	return n
}

// machineBusy is the CPU time all processes on the machine have used, from
// /proc/stat's first line; ok is false where there is none.
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseProcStat(line)
}

// parseProcStat reads "cpu  user nice system idle iowait irq softirq steal
// …" as the time not idle or waiting: user, nice, system, irq, softirq, steal.
func parseProcStat(line string) (time.Duration, bool) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, true
}
