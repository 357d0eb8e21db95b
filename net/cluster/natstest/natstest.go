// Package natstest runs a real NATS server inside a test process, on a
// loopback port, so that tests of a world split over processes use the
// very engine production uses, with no set-up.
package natstest

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is an embedded NATS server that a test can stop and start again on
// the same port, as an operator's restart would.
type Server struct {
	tb   testing.TB
	port int
	ns   *server.Server
}

// Start runs a NATS server on a free loopback port until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{tb: tb, port: port}
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// URL is the server's client URL.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// Start starts the server (again) on its port.
func (s *Server) Start() {
	s.tb.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, NoLog: true, NoSigs: true})
	if err != nil {
		s.tb.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		s.tb.Fatal("nats server not ready")
	}
	s.ns = ns
}

// Stop shuts the server down; its clients start reconnecting.
func (s *Server) Stop() {
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
		s.ns = nil
	}
}
