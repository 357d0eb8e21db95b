//go:build linux

package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// godotInstall is what the Godot tests skip with when Godot is missing.
const godotInstall = "apt-get update && apt-get install -y godot3-server"

// godotProject is a private, imported copy of client/ that test runs share.
// Importing rewrites files in the project, so the working tree is never used.
type godotProject struct {
	bin string // godot3-server
	dir string // the copy's root (has project.godot)
}

// needGodot finds godot3-server or skips the test saying how to install it.
func needGodot(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("godot3-server")
	if err != nil {
		tb.Skipf("godot3-server is not installed, so the Godot client is not tested: %s", godotInstall)
	}
	return bin
}

// importGodotProject copies client/ into a temp dir and imports its assets
// (without the import, textures load as placeholders with exit code 0).
func importGodotProject(tb testing.TB, bin string) *godotProject {
	tb.Helper()
	p := &godotProject{bin: bin, dir: filepath.Join(tb.TempDir(), "client")}
	if err := copyTree(filepath.Join("..", "..", "client"), p.dir, false); err != nil {
		tb.Fatalf("copy client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--path", p.dir, "--editor", "--quit")
	cmd.Env = godotEnv(tb.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("godot import: %v\n%s", err, out)
	}
	// The editor's own output (scan warnings) is not the client's: log, don't judge.
	tb.Logf("godot import:\n%s", out)
	return p
}

// clone copies the imported project, for a run that writes into it (export).
func (p *godotProject) clone(tb testing.TB) *godotProject {
	tb.Helper()
	c := &godotProject{bin: p.bin, dir: filepath.Join(tb.TempDir(), "client")}
	if err := copyTree(p.dir, c.dir, true); err != nil {
		tb.Fatalf("copy project: %v", err)
	}
	return c
}

// copyTree copies the regular files under src to dst; withImport keeps the
// .import cache.
func copyTree(src, dst string, withImport bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() && rel == ".import" && !withImport {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// godotEnv is the environment of a Godot run: its own HOME (Godot writes
// settings and user:// there) and a UTF-8 locale.
func godotEnv(home string) []string {
	env := []string{"HOME=" + home, "LANG=en_US.UTF-8", "LC_ALL=en_US.UTF-8"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "LANG=") && !strings.HasPrefix(kv, "LC_ALL=") {
			env = append(env, kv)
		}
	}
	return env
}

// godotProc is one running Godot process whose log is checked line by line.
type godotProc struct {
	name   string
	cmd    *exec.Cmd
	cancel context.CancelFunc
	done   chan struct{} // closed when the process has ended and its log is read

	mu          sync.Mutex
	lines       []string
	scriptError bool // a SCRIPT ERROR line was seen (and the process killed)
	err         error
}

var finalLine = regexp.MustCompile(`^\d+ passed, (\d+) failed$`)

// startGodot runs name with args (after --path, or as the command itself
// when command is set) until it exits, ctx ends or it prints a SCRIPT ERROR.
// onLine, if not nil, hears every log line, from another goroutine.
func startGodot(ctx context.Context, tb testing.TB, name string, command []string, onLine func(string)) *godotProc {
	tb.Helper()
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Env = godotEnv(tb.TempDir())
	// Its own process group, so that a kill reaches xvfb-run's children too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return err
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &godotProc{name: name, cmd: cmd, cancel: cancel, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("%s: start %v: %v", name, command, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.lines = append(p.lines, line)
			if strings.HasPrefix(line, "SCRIPT ERROR") {
				p.scriptError = true
				cancel() // a runtime error aborts a function: the driver would hang
			}
			p.mu.Unlock()
			if onLine != nil {
				onLine(line)
			}
		}
		io.Copy(io.Discard, pr) //nolint:errcheck // drain after an overlong line
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		<-scanned
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		cancel()
		close(p.done)
	}()
	tb.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// godotArgs is the command line that runs a scene of the project headless.
func (p *godotProject) godotArgs(scene string, args ...string) []string {
	return append([]string{p.bin, "--path", p.dir, scene}, args...)
}

// wait waits for the process and judges its log: it fails on a non-zero
// exit, a SCRIPT ERROR, a resource that failed to load, or a missing final
// "N passed, 0 failed" line. It returns the log.
func (p *godotProc) wait() (string, error) {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	log := strings.Join(p.lines, "\n")
	var errs []error
	if p.scriptError {
		errs = append(errs, errors.New("SCRIPT ERROR in the log (process killed)"))
	}
	if p.err != nil {
		errs = append(errs, fmt.Errorf("exit: %w", p.err))
	}
	final := ""
	for _, l := range p.lines {
		if strings.Contains(l, "Failed loading resource") {
			errs = append(errs, fmt.Errorf("log says %q", l))
		}
		if finalLine.MatchString(l) {
			final = l
		}
	}
	if m := finalLine.FindStringSubmatch(final); m == nil {
		errs = append(errs, errors.New(`no final "N passed, 0 failed" line`))
	} else if m[1] != "0" {
		errs = append(errs, fmt.Errorf("driver says %q", final))
	}
	if len(errs) > 0 {
		return log, fmt.Errorf("%s: %w", p.name, errors.Join(errs...))
	}
	return log, nil
}

// mustWait waits and fails the test with the log when the run failed; the
// log is also kept in the test output with -v.
func (p *godotProc) mustWait(tb testing.TB) string {
	tb.Helper()
	log, err := p.wait()
	if err != nil {
		tb.Errorf("%v\n--- %s log ---\n%s", err, p.name, log)
	} else {
		tb.Logf("--- %s log ---\n%s", p.name, log)
	}
	return log
}

// lineSignal returns an onLine hook and a channel closed on the first line
// that starts with prefix.
func lineSignal(prefix string) (func(string), <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	return func(line string) {
		if strings.HasPrefix(line, prefix) {
			once.Do(func() { close(ch) })
		}
	}, ch
}
