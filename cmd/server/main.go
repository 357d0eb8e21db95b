// Package server is the godmmo server as a library: flags and their
// environment variables, the world's wiring, the console and its API,
// metrics, limits, resuming, cluster mode and the orderly stop. A game's own
// main runs the very same server with its mods:
//
//	func main() { os.Exit(server.Main(server.Game{Mods: []mod.Mod{mygame.Mod()}})) }
//
// cmd/godmmo is such a main, with the example mods (systems/mods).
package server

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

	"github.com/godmmo/godmmo/ecs/mod"
)

// Game is what a main adds to the server.
type Game struct {
	// Mods are registered in order, before the server starts, after the
	// tutorial's commands (Target, Chat; systems/mods/tutorial).
	Mods []mod.Mod
	// WithoutTutorial leaves the tutorial's commands out, for a game that
	// brings its own way to walk and talk (the original client needs them).
	WithoutTutorial bool
	// Flags, if set, adds flags of the game's own to the server's (each
	// also read from its GODMMO_* variable) and returns what builds the
	// mods they ask for, called once the flags are parsed; those come
	// after Mods.
	Flags func(fs *flag.FlagSet) func() []mod.Mod
}

// Main runs the server with the process's arguments and environment until
// SIGINT or SIGTERM, and returns the exit code: 0 after an orderly stop
// (or -help), 1 on an error, which it prints last (after a short usage when
// the command line was at fault). "godmmo admin …" and "godmmo health" are
// its subcommands.
func Main(g Game) int {
	return exitCode(run(os.Args[1:], g), os.Stderr)
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

func run(args []string, g Game) error {
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
	cfg, err := parseConfig(args, os.LookupEnv, g)
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
