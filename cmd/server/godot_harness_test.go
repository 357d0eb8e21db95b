//go:build linux

package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testGodotHarness checks that the harness fails the runs Godot itself
// would let pass with exit code 0: parse errors, runtime errors (the run is
// killed at once, not left to hang), missing resources, a silent driver.
func testGodotHarness(t *testing.T, bin string) {
	dir := t.TempDir()
	files := map[string]string{
		"project.godot": "config_version=4\n",
		"Parse.gd":      "extends Node\nfunc _ready()\n\tprint(\"1 passed, 0 failed\")\n",
		"Runtime.gd":    "extends Node\nfunc _ready():\n\tprint(\"1 passed, 0 failed\")\n\tvar x = null\n\tx.boom()\n\tget_tree().quit(0)\n",
		"Silent.gd":     "extends Node\nfunc _ready():\n\tget_tree().quit(0)\n",
		"Missing.tscn":  godotScene("res://nope.gd"),
		"Parse.tscn":    godotScene("res://Parse.gd"),
		"Runtime.tscn":  godotScene("res://Runtime.gd"),
		"Silent.tscn":   godotScene("res://Silent.gd"),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ scene, want string }{
		{"Parse", "SCRIPT ERROR"},
		{"Runtime", "SCRIPT ERROR"},
		{"Missing", "Failed loading resource"},
		{"Silent", `no final "N passed, 0 failed" line`},
	} {
		t.Run(tc.scene, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			p := startGodot(ctx, t, tc.scene, []string{bin, "--path", dir, "res://" + tc.scene + ".tscn"}, nil)
			log, err := p.wait()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q\n%s", err, tc.want, log)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: the run was not stopped at the error", d)
			}
		})
	}
}

func godotScene(script string) string {
	return "[gd_scene load_steps=2 format=2]\n\n[ext_resource path=\"" + script + "\" type=\"Script\" id=1]\n\n" +
		"[node name=\"Root\" type=\"Node\"]\nscript = ExtResource( 1 )\n"
}
