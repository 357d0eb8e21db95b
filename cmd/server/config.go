package server

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/godmmo/godmmo/net/guard"

	"github.com/godmmo/godmmo/cmd/server/game"
	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net/cluster"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

// Config is everything the server process can be told.
type Config struct {
	Addr       string
	DB         string
	TickRate   int
	FlushEvery time.Duration
	BcryptCost int
	TLSCert    string
	TLSKey     string
	LogLevel   slog.Level
	// World is the world's configuration: bounds, views, rates.
	World       game.Config
	SpawnX      float64
	SpawnY      float64
	SpawnSpread float64
	Origins     []string
	// Admin is where metrics, health checks and pprof are served; empty
	// disables them. Loopback by default: it is for operators, not players.
	Admin string
	// ResumeGrace is how long a dropped v2 player's actor waits for a resume.
	ResumeGrace time.Duration
	// Web is the HTML5 export served to plain GET requests at the game's
	// address; empty serves a page saying how to build one.
	Web string
	// AdminToken guards the admin listener's console and API; required
	// when Admin is not a loopback address.
	AdminToken string
	// LogFormat is "text" or "json".
	LogFormat string
	// Version asks only for the version to be printed.
	Version bool
	// Limits bound connections, logins and registrations.
	Limits guard.Limits
	// Chat is the tutorial's chat limit.
	Chat tutorial.Config
	// Mods are the game's mods: the tutorial's commands first (unless the
	// Game leaves them out), then the main's, then those its flags ask for.
	Mods []mod.Mod
}

// parseConfig reads flags, each of which can also be set by a GODMMO_*
// environment variable (looked up with lookupEnv; set but empty counts, so
// GODMMO_ADMIN= disables the admin listener); a flag on the command line wins.
func parseConfig(args []string, lookupEnv func(string) (string, bool), g Game) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("godmmo", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // main prints the usage, then the error last
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8081", "address to serve the game on (host:port)")
	fs.StringVar(&c.DB, "db", "godmmo.db", "SQLite database file (created if missing), or a postgres:// URL")
	fs.Var(&secretFile{target: &c.DB}, "db-file", "`file` holding -db, e.g. a postgres:// URL with its password, kept off the command line")
	fs.IntVar(&c.TickRate, "tick-rate", 20, "ticks per second")
	fs.DurationVar(&c.FlushEvery, "flush-every", 5*time.Second, "how often walked positions are written to the database")
	fs.IntVar(&c.BcryptCost, "bcrypt-cost", 10, "bcrypt cost for new passwords (4–31)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "certificate file: serve wss instead of ws (needs -tls-key)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key file for -tls-cert")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	world := fs.String("world", "large", "large: 20,000 units square, players see around them; room: the tutorial's 2,000-unit room where all see all")
	bounds := fs.String("bounds", "", "the world's rectangle minX,minY,maxX,maxY (default: the -world's)")
	view := fs.Float64("view-radius", -1, "how far players see; 0: everyone sees everyone (default: the -world's)")
	margin := fs.Float64("view-margin", 100, "how much further than -view-radius an actor goes before it leaves a view")
	sendNear := fs.Duration("send-near", 100*time.Millisecond, "how long others' walks and lines within a cell of a v2 player may wait to go out together (0: every tick)")
	sendFar := fs.Duration("send-far", 250*time.Millisecond, "how long the rest of a v2 player's view may wait to go out together (at least -send-near)")
	spawn := fs.String("spawn", "0,0", "where new accounts start: x,y (inside -bounds)")
	fs.Float64Var(&c.SpawnSpread, "spawn-spread", 150, "new accounts start at random within this distance of -spawn, so they don't stack")
	fs.StringVar(&c.Admin, "admin", "127.0.0.1:9081", "address of the admin console and API, /metrics, /healthz, /readyz and pprof (empty disables)")
	fs.StringVar(&c.Web, "web", "", "directory of the client's HTML5 export, served over HTTP at the game's address")
	fs.DurationVar(&c.ResumeGrace, "resume-grace", 30*time.Second, "how long a v2 player's actor waits in the world after its connection dropped, for the client to resume it (0: no resuming)")
	origins := fs.String("origins", "", "comma-separated browser origin host patterns allowed besides the server's own host")
	fs.StringVar(&c.AdminToken, "admin-token", "", "token the admin console and API require (required when -admin is not loopback)")
	fs.Var(&secretFile{target: &c.AdminToken}, "admin-token-file", "`file` holding -admin-token, kept off the command line")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log line format: text or json")
	fs.BoolVar(&c.Version, "version", false, "print the version and exit")
	l := &c.Limits
	*l = guard.DefaultLimits()
	fs.IntVar(&l.MaxConns, "max-conns", l.MaxConns, "most open connections in all (0: no cap)")
	fs.IntVar(&l.MaxConnsPerAddr, "max-conns-per-addr", l.MaxConnsPerAddr, "most open connections from one IP address (0: no cap)")
	fs.DurationVar(&l.LoginTimeout, "login-timeout", l.LoginTimeout, "close a connection that has not logged in this long after it opened (0: never)")
	fs.IntVar(&l.LoginFailsPerAccount, "login-fails-per-account", l.LoginFailsPerAccount, "failed logins an account may have per -login-fail-window before it is locked out for -login-lockout (0: no limit)")
	fs.IntVar(&l.LoginFailsPerAddr, "login-fails-per-addr", l.LoginFailsPerAddr, "failed logins an IP address may have per -login-fail-window before it is locked out for -login-lockout (0: no limit)")
	fs.DurationVar(&l.LoginFailWindow, "login-fail-window", l.LoginFailWindow, "the window the failed-login limits count over")
	fs.DurationVar(&l.LoginLockout, "login-lockout", l.LoginLockout, "how long a locked-out account or address is refused")
	fs.IntVar(&l.HashesPerAddr, "hashes-per-addr", l.HashesPerAddr, "password hashes one IP address may have queued at once; the rest wait behind them (0: no limit)")
	fs.IntVar(&l.RegistrationsPerAddr, "registrations-per-addr", l.RegistrationsPerAddr, "accounts one IP address may create per hour (0: no limit)")
	c.Chat = tutorial.DefaultConfig()
	fs.Float64Var(&c.Chat.ChatRate, "chat-rate", c.Chat.ChatRate, "chat lines per second a player may say, after -chat-burst (0: no limit)")
	fs.IntVar(&c.Chat.ChatBurst, "chat-burst", c.Chat.ChatBurst, "chat lines a player may say at once")
	hosts := fs.String("hosts", "", "comma-separated host names browsers may reach the game by (default: -addr's host, localhost, loopback IPs; * for any)")
	fs.BoolVar(&l.AllowNullOrigin, "allow-null-origin", false, "accept browser connections with Origin: null (sandboxed or file:// pages)")
	natsURL := fs.String("nats", "", "NATS server URL: this process serves one world with the others that share it (needs -regions)")
	regionsFile := fs.String("regions", "", "regions file: one line per region, NAME minX,minY,maxX,maxY (with -nats)")
	region := fs.String("region", "", "the region of -regions this process simulates (empty: it only holds connections)")
	worldName := fs.String("world-name", "godmmo", "the world's name on the bus, shared by all its processes")
	buildMods := func() []mod.Mod { return nil }
	if g.Flags != nil {
		buildMods = g.Flags(fs)
	}
	exempt := fs.String("exempt", "", "comma-separated networks (CIDR) the per-address limits do not apply to, e.g. 127.0.0.0/8 for load tests")

	// Environment first, so the command line overrides it.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "GODMMO_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, set := lookupEnv(name); set && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
		f.Usage += fmt.Sprintf(" [$%s]", name)
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, newUsageError(fs, err)
	}
	if fs.NArg() > 0 {
		return c, newUsageError(fs, fmt.Errorf("unexpected arguments: %q", fs.Args()))
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("-log-level: %w", err)
	}
	switch *world {
	case "large":
		c.World = game.Large()
	case "room":
		c.World = game.Room()
	default:
		return c, fmt.Errorf("-world must be large or room, not %q", *world)
	}
	w := &c.World.Sim
	if *bounds != "" {
		b, err := floats(*bounds, 4)
		if err != nil {
			return c, fmt.Errorf("-bounds: %w", err)
		}
		w.Bounds = ecs.Bounds{MinX: b[0], MinY: b[1], MaxX: b[2], MaxY: b[3]}
		if w.Bounds.MinX >= w.Bounds.MaxX || w.Bounds.MinY >= w.Bounds.MaxY {
			return c, fmt.Errorf("-bounds: minimum must be below maximum")
		}
	}
	if *view >= 0 {
		c.World.ViewRadius = *view
		if *view > 0 {
			w.CellSize = *view / 3 // views three cells across each way fit the radius closely
		}
	}
	if *margin < 0 || c.SpawnSpread < 0 || *sendNear < 0 || *sendFar < 0 {
		return c, fmt.Errorf("-view-margin, -spawn-spread, -send-near and -send-far must not be negative")
	}
	if *sendFar < *sendNear {
		return c, fmt.Errorf("-send-far %v must be at least -send-near %v", *sendFar, *sendNear)
	}
	c.World.SendNear, c.World.SendFar = *sendNear, *sendFar
	c.World.ViewMargin = *margin
	w.Rate = c.TickRate
	w.FlushEvery = c.FlushEvery
	sp, err := floats(*spawn, 2)
	if err != nil {
		return c, fmt.Errorf("-spawn: %w", err)
	}
	c.SpawnX, c.SpawnY = sp[0], sp[1]
	if !w.Bounds.Contains(c.SpawnX, c.SpawnY) {
		return c, fmt.Errorf("-spawn %s is outside the world's bounds %+v", *spawn, w.Bounds)
	}
	if *origins != "" {
		c.Origins = strings.Split(*origins, ",")
	}
	if !g.WithoutTutorial {
		c.Mods = []mod.Mod{tutorial.Mod(c.Chat)}
	}
	c.Mods = append(append(c.Mods, g.Mods...), buildMods()...)
	if err := c.cluster(*natsURL, *regionsFile, *region, *worldName); err != nil {
		return c, err
	}
	if err := c.limits(*hosts, *exempt); err != nil {
		return c, err
	}
	switch {
	case c.TickRate < 1 || c.TickRate > 1000:
		return c, fmt.Errorf("-tick-rate must be 1–1000, not %d", c.TickRate)
	case c.FlushEvery < time.Second/time.Duration(c.TickRate):
		return c, fmt.Errorf("-flush-every must be at least one tick")
	case c.ResumeGrace < 0:
		return c, fmt.Errorf("-resume-grace must not be negative")
	case c.BcryptCost < 4 || c.BcryptCost > 31:
		return c, fmt.Errorf("-bcrypt-cost must be 4–31, not %d", c.BcryptCost)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return c, fmt.Errorf("-tls-cert and -tls-key go together")
	case c.LogFormat != "text" && c.LogFormat != "json":
		return c, fmt.Errorf("-log-format must be text or json, not %q", c.LogFormat)
	case c.AdminToken != "" && (strings.TrimSpace(c.AdminToken) == "" || strings.ContainsFunc(c.AdminToken, unicode.IsSpace)):
		return c, fmt.Errorf("-admin-token (or $GODMMO_ADMIN_TOKEN) is blank or holds spaces: use a long random one, such as openssl rand -hex 24 makes")
	case c.Admin != "" && c.AdminToken == "" && !loopbackAddr(c.Admin):
		return c, fmt.Errorf("-admin %s is not a loopback address: set -admin-token (or $GODMMO_ADMIN_TOKEN) to protect it", c.Admin)
	}
	return c, nil
}

// floats parses n comma-separated numbers.
func floats(s string, n int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("want %d comma-separated numbers, got %q", n, s)
	}
	out := make([]float64, n)
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// cluster fills in how the process takes part in a world split over processes.
func (c *Config) cluster(natsURL, regionsFile, region, worldName string) error {
	switch {
	case natsURL == "" && regionsFile == "" && region == "":
		return nil
	case natsURL == "" || regionsFile == "":
		return fmt.Errorf("-nats and -regions go together")
	case !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://"):
		return fmt.Errorf("-nats needs -db postgres://…, one database for every process of the world: with the SQLite file %s each process would have accounts of its own", c.DB)
	}
	f, err := os.Open(regionsFile)
	if err != nil {
		return fmt.Errorf("-regions: %w", err)
	}
	defer f.Close()
	regions, err := cluster.ParseAreas(f)
	if err != nil {
		return fmt.Errorf("-regions %s: %w", regionsFile, err)
	}
	if region != "" && !slices.ContainsFunc(regions, func(r cluster.Area) bool { return r.Name == region }) {
		return fmt.Errorf("-region: region %q is not in the regions file %s", region, regionsFile)
	}
	name := region
	if name == "" {
		host, _ := os.Hostname()
		name = fmt.Sprintf("edge-%s-%d", host, os.Getpid())
	}
	c.World.Cluster = game.Cluster{NATS: natsURL, World: worldName, Regions: regions, Region: region, Name: name}
	return nil
}
