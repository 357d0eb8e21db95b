package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	stdnet "net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// admin is the operators' listener: the console and its API (console.go),
// Prometheus metrics, health checks and profiles. It is a listener of its own, by default on loopback only, so
// none of it is reachable through the public game port.
type admin struct {
	ln  stdnet.Listener
	srv *http.Server
}

// newAdmin listens on addr at once, so a taken port fails NewApp instead of
// surfacing later, and Addr is known before Run.
func newAdmin(addr string, m *Metrics, ready readiness, con *console, log *slog.Logger) (*admin, error) {
	mux := http.NewServeMux()
	con.routes(mux)
	mux.Handle("GET /metrics", con.private(promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{
		Registry:          m.Registry(), // counts its own scrape errors
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		EnableOpenMetrics: true,
	})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready.check(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	// The pprof handlers by hand: importing net/http/pprof also registers them
	// on http.DefaultServeMux, which nothing in this process serves.
	// With a token they need it too: the command line may hold it.
	mux.Handle("/debug/pprof/", con.private(http.HandlerFunc(pprof.Index)))
	mux.Handle("/debug/pprof/cmdline", con.private(http.HandlerFunc(pprof.Cmdline)))
	mux.Handle("/debug/pprof/profile", con.private(http.HandlerFunc(pprof.Profile)))
	mux.Handle("/debug/pprof/symbol", con.private(http.HandlerFunc(pprof.Symbol)))
	mux.Handle("/debug/pprof/trace", con.private(http.HandlerFunc(pprof.Trace)))

	ln, err := stdnet.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           con.sameHost(mux), // every path: pprof's command line may hold secrets
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: a CPU profile or trace streams for as long as asked.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// The console's event streams never go idle: end them when shutdown begins.
	srv.RegisterOnShutdown(con.stop)
	return &admin{ln: ln, srv: srv}, nil
}

// Addr is the address the admin endpoints are served on.
func (a *admin) Addr() string { return a.ln.Addr().String() }

// serve answers requests until shutdown; it returns nil after a shutdown.
func (a *admin) serve() error {
	if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: %w", err)
	}
	return nil
}

// shutdown stops the listener and waits for requests in flight until ctx
// ends; a profile still streaming then is cut off.
func (a *admin) shutdown(ctx context.Context) error {
	err := a.srv.Shutdown(ctx)
	if err != nil {
		a.srv.Close() //nolint:errcheck // already reporting the shutdown error
		return fmt.Errorf("admin shutdown: %w", err)
	}
	return nil
}

// close releases the listener of an admin that never served (NewApp failed later).
func (a *admin) close() { a.ln.Close() } //nolint:errcheck // nothing to report
