package server

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/systems/mods/emote"
)

func TestConfig(t *testing.T) {
	t.Parallel()
	regions := filepath.Join(t.TempDir(), "regions")
	if err := os.WriteFile(regions, []byte("west -10000,-10000,0,10000\neast 0,-10000,10000,10000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken")
	if err := os.WriteFile(broken, []byte("west -10000,-10000,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(c Config) bool
		err   string
	}{
		{"defaults", nil, nil, func(c Config) bool {
			return c.Addr == "127.0.0.1:8081" && c.DB == "godmmo.db" && c.TickRate == 20 && c.FlushEvery == 5*time.Second &&
				c.BcryptCost == 10 && c.World.ViewRadius == 600 && c.World.Sim.Bounds.MaxX == 10000 && c.World.Sim.FlushEvery == 5*time.Second &&
				c.World.SendNear == 100*time.Millisecond && c.World.SendFar == 250*time.Millisecond
		}, ""},
		{"environment", nil, map[string]string{"GODMMO_ADDR": "127.0.0.1:9000", "GODMMO_TICK_RATE": "10"}, func(c Config) bool {
			return c.Addr == "127.0.0.1:9000" && c.TickRate == 10 && c.World.Sim.Rate == 10 && c.World.Sim.FlushEvery == 5*time.Second
		}, ""},
		{"flag beats environment", []string{"-addr", "127.0.0.1:7000"}, map[string]string{"GODMMO_ADDR": "127.0.0.1:9000"},
			func(c Config) bool { return c.Addr == "127.0.0.1:7000" }, ""},
		{"empty environment disables admin", nil, map[string]string{"GODMMO_ADMIN": ""},
			func(c Config) bool { return c.Admin == "" }, ""},
		{"room", []string{"-world", "room"}, nil,
			func(c Config) bool { return c.World.ViewRadius == 0 && c.World.Sim.Bounds.MaxX == 1000 }, ""},
		{"view radius sets cells", []string{"-view-radius", "300"}, nil,
			func(c Config) bool { return c.World.ViewRadius == 300 && c.World.Sim.CellSize == 100 }, ""},
		{"bounds", []string{"-bounds", "0,0,50,60", "-spawn", "10,10"}, nil,
			func(c Config) bool { return c.World.Sim.Bounds.MaxY == 60 && c.SpawnX == 10 }, ""},
		{"send intervals", []string{"-send-near", "50ms", "-send-far", "0.5s"}, nil,
			func(c Config) bool {
				v := c.World.View()
				return v.Near == 50*time.Millisecond && v.Far == 500*time.Millisecond
			}, ""},
		{"send far below near", []string{"-send-near", "300ms"}, nil, nil, "-send-far 250ms must be at least -send-near 300ms"},
		{"bad world", []string{"-world", "huge"}, nil, nil, "-world must be large or room"},
		{"spawn outside", []string{"-bounds", "1,1,50,60"}, nil, nil, "outside the world's bounds"},
		{"inverted bounds", []string{"-bounds", "10,0,0,60"}, nil, nil, "minimum must be below maximum"},
		{"bad tick rate", []string{"-tick-rate", "0"}, nil, nil, "-tick-rate must be 1–1000"},
		{"bad cost", []string{"-bcrypt-cost", "3"}, nil, nil, "-bcrypt-cost must be 4–31"},
		{"half tls", []string{"-tls-cert", "c.pem"}, nil, nil, "go together"},
		{"bad environment", nil, map[string]string{"GODMMO_TICK_RATE": "fast"}, nil, "GODMMO_TICK_RATE"},
		{"stray argument", []string{"serve"}, nil, nil, "unexpected arguments"},
		{"a region of a cluster", []string{"-nats", "nats://127.0.0.1:4222", "-regions", regions, "-region", "east", "-db", "postgres://h/db"}, nil,
			func(c Config) bool {
				cl := c.World.Cluster
				return cl.NATS == "nats://127.0.0.1:4222" && cl.Region == "east" && cl.Name == "east" && cl.World == "godmmo" &&
					len(cl.Regions) == 2 && cl.Regions[1].Rect.MinX == 0
			}, ""},
		{"an edge, from the environment", nil, map[string]string{"GODMMO_NATS": "nats://h:1", "GODMMO_REGIONS": regions, "GODMMO_WORLD_NAME": "w1", "GODMMO_DB": "postgresql://h/db"},
			func(c Config) bool {
				cl := c.World.Cluster
				return cl.Region == "" && cl.World == "w1" && strings.HasPrefix(cl.Name, "edge-")
			}, ""},
		{"nats without regions", []string{"-nats", "nats://h:1"}, nil, nil, "-nats and -regions go together"},
		{"region without nats", []string{"-region", "east"}, nil, nil, "-nats and -regions go together"},
		{"no regions file", []string{"-nats", "nats://h:1", "-regions", regions + ".missing", "-db", "postgres://h/db"}, nil, nil, "-regions"},
		{"broken regions file", []string{"-nats", "nats://h:1", "-regions", broken, "-db", "postgres://h/db"}, nil, nil, "four numbers"},
		{"a cluster on a SQLite file", []string{"-nats", "nats://h:1", "-regions", regions, "-db", "game.db"}, nil, nil,
			"-nats needs -db postgres://…, one database for every process of the world: with the SQLite file game.db each process would have accounts of its own"},
		{"an unknown region", []string{"-nats", "nats://h:1", "-regions", regions, "-region", "north", "-db", "postgres://h/db"}, nil, nil,
			`region "north" is not in the regions file`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseExample(tc.args, env(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

// TestLimitFlags checks the limit flags: defaults, the lists and refusals.
func TestLimitFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		ok    bool
		check func(c Config) bool
	}{
		{"defaults", nil, true, func(c Config) bool {
			l := c.Limits
			return l.MaxConns == 10000 && l.MaxConnsPerAddr == 32 && l.LoginTimeout == 2*time.Minute &&
				l.HashesPerAddr == 2 && len(l.Exempt) == 0 && !l.AllowNullOrigin &&
				slices.Contains(l.Hosts, "localhost") && slices.Contains(l.Hosts, "127.0.0.1") && slices.Contains(l.Hosts, "::1")
		}},
		{"listen host is a name", []string{"-addr", "game.example:8081"}, true, func(c Config) bool {
			return slices.Contains(c.Limits.Hosts, "game.example")
		}},
		{"hosts given", []string{"-hosts", "a.example, b.example"}, true, func(c Config) bool {
			return slices.Equal(c.Limits.Hosts, []string{"a.example", "b.example"})
		}},
		{"exempt networks and addresses", []string{"-exempt", "127.0.0.0/8,10.1.2.3,2001:db8::/32"}, true, func(c Config) bool {
			return len(c.Limits.Exempt) == 3 && c.Limits.Exempt[1].Bits() == 32
		}},
		{"limits off", []string{"-max-conns", "0", "-chat-rate", "0", "-login-timeout", "0"}, true, func(c Config) bool {
			return c.Limits.MaxConns == 0 && c.Chat.ChatRate == 0 && c.Limits.LoginTimeout == 0
		}},
		{"bad exempt", []string{"-exempt", "nonsense"}, false, nil},
		{"negative cap", []string{"-max-conns-per-addr", "-1"}, false, nil},
		{"tiny login timeout", []string{"-login-timeout", "1ms"}, false, nil},
		{"bad log format", []string{"-log-format", "yaml"}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseExample(tc.args, env(nil))
			if (err == nil) != tc.ok {
				t.Fatalf("parseExample(%q): %v, want ok %v", tc.args, err, tc.ok)
			}
			if tc.check != nil && !tc.check(c) {
				t.Errorf("parseExample(%q) = %+v", tc.args, c.Limits)
			}
		})
	}
}

// TestTutorialCommands: the server registers the tutorial's Target and
// Chat before a game's mods, with the chat limit its flags set, unless the
// game leaves them out.
func TestTutorialCommands(t *testing.T) {
	t.Parallel()
	none := func(string) (string, bool) { return "", false }
	for _, tc := range []struct {
		game Game
		want []string
	}{
		{Game{Mods: []mod.Mod{emote.Mod()}}, []string{"Chat", "Target", "emote"}},
		{Game{Mods: []mod.Mod{emote.Mod()}, WithoutTutorial: true}, []string{"emote"}},
	} {
		c, err := parseConfig([]string{"-chat-rate", "3", "-chat-burst", "7"}, none, tc.game)
		if err != nil {
			t.Fatal(err)
		}
		r := mod.NewRegistry()
		if err := r.Add(c.Mods...); err != nil {
			t.Fatal(err)
		}
		if got := r.CommandNames(); !slices.Equal(got, tc.want) {
			t.Errorf("without tutorial %v: commands %q, want %q", tc.game.WithoutTutorial, got, tc.want)
		}
		if chat, ok := r.Commands()["Chat"]; ok && (chat.Rate != 3 || chat.Burst != 7) {
			t.Errorf("chat %v a second after %d, want 3 after 7", chat.Rate, chat.Burst)
		}
	}
}
