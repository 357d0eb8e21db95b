//go:build linux

package server

import (
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	netclient "github.com/godmmo/godmmo/net/client"
)

// updateShots copies the pictures the desktop build takes to docs/.
var updateShots = flag.Bool("update-shots", false, "copy the Godot client's screenshots to docs/")

// godotRunner is the Debian release template the Linux/X11 preset exports
// with (client/export_presets.cfg).
const godotRunner = "/usr/bin/godot3-runner"

const picturesInstall = "apt-get install -y godot3-runner xvfb xauth libgl1-mesa-dri"

// testGodotPictures exports the Linux desktop build, plays it under Xvfb
// with software GL against a server with the example mods where a v2 test
// client plays bob, and checks the pictures it takes of the login screen,
// of the world, and of the world with NPCs, items and both players' emotes.
func testGodotPictures(t *testing.T, proj *godotProject) {
	if _, err := os.Stat(godotRunner); err != nil {
		t.Skipf("%s is missing, so no desktop build: %s", godotRunner, picturesInstall)
	}
	xvfb, err := exec.LookPath("xvfb-run")
	if err != nil {
		t.Skipf("xvfb-run is missing, so no pictures: %s", picturesInstall)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The export writes into the project: use a copy of our own.
	p := proj.clone(t)
	build := filepath.Join(t.TempDir(), "godmmo.x86_64")
	cmd := exec.CommandContext(ctx, p.bin, "--path", p.dir, "--export", "Linux/X11", build)
	cmd.Env = godotEnv(t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(build), "godmmo.pck")); err != nil {
		t.Fatalf("export wrote no .pck: %v", err)
	}

	// Two avatars side by side, not stacked; NPCs and items around them.
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-spawn-spread", "150", "-npcs", "100", "-items", "400"))
	bob := joinV2(t, app.Addr(), "bob", 4)
	bob.send("Target", 96, -24)

	shots := t.TempDir()
	game := startGodot(ctx, t, "pictures", []string{
		xvfb, "-a", "-s", "-screen 0 1024x600x24", build, "res://tests/Shots.tscn",
		"--server=ws://" + app.Addr(), "--shots=" + shots, "--user=alice", "--peer=bob", "--avatar=3", "--timeout=60",
	}, nil)
	game.logIfFailed(t)
	alice := awaitV2(t, bob, time.Minute, "alice", func(p v2packet) bool { return p.Kind == netclient.Enter && p.Name == "alice" })
	bob.send("Chat", "hello alice! [wave]")
	// Bob waves back once alice waved (a release build's log comes late,
	// so the emote itself is the cue).
	awaitV2(t, bob, time.Minute, "alice's wave", isMessage("emote", alice.ID))
	bob.send("emote", "wave")
	game.mustWait(t)
	if t.Failed() {
		return
	}

	for _, name := range []string{"login.png", "world.png", "mods.png"} {
		path := filepath.Join(shots, name)
		img := loadPNG(t, path)
		checkNotBlank(t, name, img)
		if name == "mods.png" {
			// The gems are on the screen (client/world/Item.gd's colour).
			if n := countNear(img, 115, 242, 230, 10); n < 30 {
				t.Errorf("mods.png: %d pixels of the gems' colour, want at least 30", n)
			}
		}
		if name != "login.png" {
			// Both avatars are on the screen: alice's yellow, bob's purple.
			for _, c := range []struct {
				who     string
				r, g, b int
			}{{"alice", 250, 204, 51}, {"bob", 158, 92, 217}} {
				if n := countNear(img, c.r, c.g, c.b, 10); n < 50 {
					t.Errorf("world.png: %d pixels of %s's avatar colour, want at least 50", n, c.who)
				}
			}
		}
		if *updateShots {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join("..", "..", "docs", "client-"+name)
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s (%d bytes)", dst, len(b))
		}
	}
}

func loadPNG(tb testing.TB, path string) image.Image {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return img
}

// checkNotBlank fails on a picture of one colour, or nearly so.
func checkNotBlank(tb testing.TB, name string, img image.Image) {
	tb.Helper()
	b := img.Bounds()
	if b.Dx() < 320 || b.Dy() < 200 {
		tb.Errorf("%s is %dx%d", name, b.Dx(), b.Dy())
		return
	}
	counts := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	total := b.Dx() * b.Dy()
	if len(counts) < 50 || most > total*95/100 {
		tb.Errorf("%s looks blank: %d colours, the commonest covers %d of %d pixels", name, len(counts), most, total)
	}
}

// countNear counts pixels within tol of an 8-bit colour on every channel.
func countNear(img image.Image, r, g, b, tol int) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if absInt(int(pr>>8)-r) <= tol && absInt(int(pg>>8)-g) <= tol && absInt(int(pb>>8)-b) <= tol {
				n++
			}
		}
	}
	return n
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
