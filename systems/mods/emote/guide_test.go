package emote

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGuideIsTheCode keeps docs/extending.md true: each of its Go blocks
// starts with a comment naming a file of the repository, and the rest of
// the block is in that file, line for line (indentation aside), so every
// line the guide shows is compiled and run by the mods' tests.
func TestGuideIsTheCode(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..")
	guide, err := os.ReadFile(filepath.Join(root, "docs", "extending.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(guide), -1)
	if len(blocks) < 4 {
		t.Fatalf("the guide has %d Go blocks", len(blocks))
	}
	for _, b := range blocks {
		lines := strings.Split(strings.TrimRight(b[1], "\n"), "\n")
		file, ok := strings.CutPrefix(lines[0], "// ")
		if !ok || strings.Contains(file, " ") {
			t.Errorf("block %q does not start with the file it comes from", lines[0])
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Errorf("block from %s: %v", file, err)
			continue
		}
		if !contains(trimmed(string(src)), trimmed(strings.Join(lines[1:], "\n"))) {
			t.Errorf("the guide's block from %s is not in it:\n%s", file, strings.Join(lines[1:], "\n"))
		}
	}
}

// trimmed splits s into lines without their indentation.
func trimmed(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return lines
}

// contains reports whether block is whole lines of src, in a row: a line
// quoted in a comment is not code.
func contains(src, block []string) bool {
	for i := 0; i+len(block) <= len(src); i++ {
		if slices.Equal(src[i:i+len(block)], block) {
			return true
		}
	}
	return false
}
