// Command godmmo is the game server: an authoritative world that Godot
// clients of the original tutorial (and the project's own) play in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(exitCode(run(os.Args[1:]), os.Stderr))
}

// exitCode reports err on stderr, last, after the usage when the command
// line was at fault, and says what the process exits with.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var u *usageError
	if errors.As(err, &u) {
		fmt.Fprint(stderr, u.Usage)
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "godmmo:", err)
	return 1
}

func run(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "admin":
			env, err := adminTokenFromFile(os.LookupEnv)
			if err != nil {
				return err
			}
			return runAdmin(context.Background(), args[1:], env, os.Stdin, os.Stdout, os.Stderr)
		case "health":
			return runHealth(context.Background(), args[1:], os.LookupEnv, os.Stdout)
		}
	}
	cfg, err := parseConfig(args, os.LookupEnv)
	if err != nil {
		return err
	}
	if cfg.Version {
		v := buildVersion()
		fmt.Printf("godmmo %s (revision %s, %s)\n", v.version, v.revision, v.goVersion)
		return nil
	}
	log := newLogger(os.Stderr, cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app, err := NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	return app.Run(ctx)
}

// newLogger writes cfg.LogFormat lines (text or json) at cfg.LogLevel to w.
func newLogger(w io.Writer, cfg Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
