package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	stdnet "net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestContainer builds the image as `task image` does and runs it as an
// operator would, with podman on the host's network and a fresh volume:
// loadbot bots and a player register, log in and walk; a second container
// on the volume refuses to start while the first runs, naming the lock;
// `podman stop` closes every connection with a reason and writes every
// position (exit 0); a third container on the volume has the player where
// it stopped. It skips where podman is missing or cannot run containers.
func TestContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a container image and runs it")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed (apt-get install podman runc): the container image is not tested")
	}
	if out, err := exec.Command("podman", "info").CombinedOutput(); err != nil {
		t.Skipf("podman cannot run here, the container image is not tested: %v\n%s", err, out)
	}
	t.Parallel()
	id := fmt.Sprintf("godmmo-test-%d", os.Getpid())
	image := "localhost/" + id
	build := exec.Command("../godmmo/deploy/build.sh", "image", image)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cmd/godmmo/deploy/build.sh image: %v\n%s", err, out)
	}
	t.Cleanup(func() { podman(t, "rmi", "-f", image) })
	if out, err := exec.Command("podman", "run", "--rm", image, "-version").CombinedOutput(); err != nil {
		// 125–127: podman could not start the container; 1 would be godmmo's.
		if code := exitStatus(err); code >= 125 && code <= 127 {
			t.Skipf("containers cannot run here (podman run exits %d; in a sandbox try CONTAINERS_CONF=.ci/containers.conf, as .ci/run does): %s", code, out)
		}
		t.Fatalf("godmmo -version in the image: %v\n%s", err, out)
	} else if head, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil && !bytes.Contains(out, bytes.TrimSpace(head)) {
		t.Errorf("godmmo -version in the image says %q, want the revision %s (built with -buildvcs=false)", out, bytes.TrimSpace(head))
	}
	if user := podman(t, "image", "inspect", "--format", "{{.Config.User}}", image); user != "65532:65532" {
		t.Errorf("the image runs as user %q, want 65532:65532", user)
	}
	size := podman(t, "image", "inspect", "--format", "{{.Size}}", image)
	t.Logf("image %s: %s bytes", image, size)

	volume := podman(t, "volume", "create", id)
	t.Cleanup(func() { podman(t, "volume", "rm", "-f", volume) })

	first := startContainer(t, image, volume, id+"-a")
	t.Logf("from podman run to ready: %v", first.ready)

	loadbot := filepath.Join(t.TempDir(), "loadbot")
	if out, err := exec.Command("go", "build", "-o", loadbot, "../loadbot").CombinedOutput(); err != nil {
		t.Fatalf("build loadbot: %v\n%s", err, out)
	}
	const bots = 6
	out, err := exec.Command(loadbot, "-url", "ws://"+first.addr+"/", "-n", fmt.Sprint(bots), "-ramp", "1s", "-duration", "3s",
		"-move-every", "500ms", "-chat-every", "1s", "-progress", "0", "-json").Output()
	if err != nil {
		t.Fatalf("loadbot: %v\n%s", err, out)
	}
	var report struct {
		LoggedIn   int            `json:"logged_in"`
		Moved      int            `json:"moved"`
		NeverMoved int            `json:"never_moved"`
		Chats      int            `json:"chats_received"`
		Errors     map[string]int `json:"errors"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("loadbot report: %v\n%s", err, out)
	}
	if report.LoggedIn != bots || report.Moved == 0 || report.NeverMoved != 0 || report.Chats == 0 || len(report.Errors) > 0 {
		t.Errorf("loadbot against the container: %+v, want %d logged in, all moving and chatting, no errors", report, bots)
	}

	// A player stopped mid-walk, with -flush-every 1h: only the final
	// flush on podman stop can save where it is.
	c, actor := join(t, first.addr, "walker", 2)
	c.send("Target", 5000, 0)
	lastSent := 0.0
	for lastSent <= 20 {
		lastSent, _, _ = c.await("own walk", isModelOf(actor)).pos()
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	second, err := exec.CommandContext(ctx, "podman", "run", "--rm", "--network", "host", "-v", volume+":/data",
		image, "-addr", "127.0.0.1:0", "-admin", "").CombinedOutput()
	if err == nil || !regexp.MustCompile(`database is in use by process \d+ \(lock /data/godmmo\.db\.lock\)`).Match(second) {
		t.Errorf("a second container on the volume: %v, want it refused naming the lock:\n%s", err, second)
	}

	podman(t, "stop", "-t", "30", first.name)
	if err := first.wait(); err != nil {
		t.Errorf("the container after podman stop: %v, want exit 0\n%s", err, first.log())
	}
	<-c.done
	var closed websocket.CloseError
	if !errors.As(c.err, &closed) || closed.Code != websocket.StatusGoingAway || closed.Reason == "" {
		t.Errorf("the player's connection ended with %v, want 1001 with a reason", c.err)
	}
	for len(c.in) > 0 {
		if p := <-c.in; isModelOf(actor)(p) {
			lastSent, _, _ = p.pos()
		}
	}

	third := startContainer(t, image, volume, id+"-c")
	back := dial(t, third.addr)
	if x, _, _ := back.login("walker", "pw-walker").pos(); math.Abs(x-lastSent) > 0.005 {
		t.Errorf("after the restart the player is at x=%v, want %v where it stopped", x, lastSent)
	}
	back.conn.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // the server goes next
	podman(t, "stop", "-t", "30", third.name)
	if err := third.wait(); err != nil {
		t.Errorf("the second container after podman stop: %v\n%s", err, third.log())
	}
}

// container is a godmmo running under `podman run`, attached, so that its
// log is read here and its exit status is podman run's.
type container struct {
	name  string
	addr  string        // the game's host:port
	ready time.Duration // from podman run to a passing health check
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	ended chan struct{} // closed when the log ends
}

// startContainer runs image on the host's network with volume on /data,
// the game on a free loopback port and the admin listener on another, and
// waits until the image's own health check (godmmo health) passes.
func startContainer(t *testing.T, image, volume, name string) *container {
	t.Helper()
	admin := freePort(t)
	c := &container{name: name, ended: make(chan struct{})}
	c.cmd = exec.Command("podman", "run", "--rm", "--name", name, "--network", "host", "-v", volume+":/data",
		"-e", "GODMMO_ADMIN="+admin, image,
		"-addr", "127.0.0.1:0", "-bcrypt-cost", "4", "-exempt", "127.0.0.0/8", "-flush-every", "1h", "-spawn-spread", "0")
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("podman", "rm", "-f", name).Run() //nolint:errcheck // gone already when the test passed
		c.wait()                                       //nolint:errcheck // reported by the test
	})
	listening := regexp.MustCompile(`godmmo listening"? url=ws://([^/ ]+)/`)
	found := make(chan string, 1)
	go func() {
		defer close(c.ended)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case c.addr = <-found:
	case <-c.ended:
		t.Fatalf("container %s ended before it listened: %v\n%s", name, c.wait(), c.log())
	case <-time.After(time.Minute):
		t.Fatalf("container %s did not say where it listens within a minute:\n%s", name, c.log())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command("podman", "healthcheck", "run", name).CombinedOutput()
		if err == nil {
			c.ready = time.Since(started)
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s not healthy within 30 s after it listened: %v %s\n%s", name, err, out, c.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wait waits for podman run to end and returns how it ended.
func (c *container) wait() error {
	<-c.ended
	return c.cmd.Wait()
}

// log is what the container and podman wrote to stderr so far.
func (c *container) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// podman runs a podman command that must succeed and returns its output.
func podman(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("podman", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			out = append(out, ee.Stderr...)
		}
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// freePort is a loopback address no one listened on a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// exitStatus is the exit code of a command that failed, or -1.
func exitStatus(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
