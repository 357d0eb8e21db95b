// Package pgtest runs a throwaway Postgres server for a test, from Debian's
// postgresql package: a fresh cluster in the test's temporary directory, on
// a free loopback port, stopped when the test ends. Tests of several
// processes sharing one world use it, so they run against the real
// database, not a stand-in.
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// Server is one test's Postgres, which the test may stop and start again
// (an outage) on the same port and data.
type Server struct {
	tb   testing.TB
	bin  string
	dir  string
	port int
	root bool // running as root: Postgres runs as the postgres user
}

// Start starts a Postgres server for tb, or skips tb when Postgres is not
// installed (.ci/run installs it: apt-get install postgresql).
func Start(tb testing.TB) *Server {
	tb.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	if len(dirs) == 0 {
		tb.Skip("Postgres is not installed (apt-get install postgresql; .ci/run does)")
	}
	s := &Server{tb: tb, bin: dirs[len(dirs)-1], dir: tb.TempDir(), root: os.Geteuid() == 0}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	data := filepath.Join(s.dir, "data")
	if s.root {
		// initdb refuses to run as root: the cluster belongs to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for d := s.dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
			os.Chmod(d, 0o755) //nolint:errcheck // the parents only need to be passable
		}
		if err := os.Chown(s.dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	s.run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
	s.Start(tb)
	tb.Cleanup(func() { s.Stop(tb) })
	return s
}

func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// run runs one of Postgres's programs, as postgres when the test is root.
func (s *Server) run(name string, args ...string) {
	s.tb.Helper()
	prog := filepath.Join(s.bin, name)
	cmd := exec.Command(prog, args...)
	if s.root {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", prog}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
		s.tb.Fatalf("%s: %v\n%s\n%s", name, err, out, log)
	}
}

// DSN is the URL of the test's database.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Start starts the server (again), waiting until it accepts connections.
func (s *Server) Start(tb testing.TB) {
	tb.Helper()
	s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-l", filepath.Join(s.dir, "server.log"), "-w", "-o",
		fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off", s.port, s.dir), "start")
}

// Stop stops the server at once, as an outage would; stopping a stopped
// server does nothing.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(s.dir, "data", "postmaster.pid")); err != nil {
		return
	}
	s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "stop")
}
