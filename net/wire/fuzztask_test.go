package wire

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFuzzTaskFuzzesEveryTarget reads the fuzz task of the repository's
// Taskfile.yml: each of its -fuzz patterns must match exactly one fuzz
// target of the package it names (go test -fuzz takes one), and every fuzz
// target in the repository must be run by one of them, so `task fuzz`
// fuzzes the decoders there are, not a package with none.
func TestFuzzTaskFuzzesEveryTarget(t *testing.T) {
	t.Parallel()
	root := "../.."
	task, err := os.ReadFile(filepath.Join(root, "Taskfile.yml"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string][]string{} // package dir → its fuzz targets
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w*)\(`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			dir, _ := filepath.Rel(root, filepath.Dir(path))
			targets[dir] = append(targets[dir], m[1])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	run := regexp.MustCompile(`-fuzz '([^']+)'.* \./(\S+)`)
	covered := map[string]bool{}
	for _, m := range run.FindAllStringSubmatch(string(task), -1) {
		pattern, dir := regexp.MustCompile(m[1]), m[2]
		var matched []string
		for _, f := range targets[dir] {
			if pattern.MatchString(f) {
				matched = append(matched, f)
				covered[dir+"."+f] = true
			}
		}
		if len(matched) != 1 {
			t.Errorf("task fuzz: -fuzz %q in ./%s matches %v, want one target", m[1], dir, matched)
		}
	}
	for dir, names := range targets {
		for _, f := range names {
			if !covered[dir+"."+f] {
				t.Errorf("%s in ./%s is not run by task fuzz", f, dir)
			}
		}
	}
}
