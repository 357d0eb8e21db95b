package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestOpsMetrics plays a little and checks the counters of connections,
// disconnects by reason, refusals by reason, registrations, chat lines and
// the build's labels.
func TestOpsMetrics(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0"))
	admin := "http://" + app.AdminAddr() + "/metrics"
	a, _ := join(t, app.Addr(), "talker", 0)
	b, _ := join(t, app.Addr(), "hearer", 0)
	a.send("Chat", "", "hi")
	b.await("chat", func(p packet) bool { return p.A == "Chat" })
	if code := upgradeStatus(t, app.Addr(), "", "https://elsewhere.example"); code != http.StatusForbidden {
		t.Fatalf("foreign origin: HTTP %d", code)
	}
	b.conn.Close(websocket.StatusNormalClosure, "bye") //nolint:errcheck // leaving

	want := map[string]float64{
		"godmmo_registrations_total":                  2,
		`godmmo_commands_total{command="Chat"}`:       1,
		`godmmo_commands_total{command="emote"}`:      0,
		`godmmo_refusals_total{reason="chat_rate"}`:   0,
		`godmmo_refusals_total{reason="origin"}`:      1,
		`godmmo_disconnects_total{reason="normal"}`:   1,
		"godmmo_connections_open":                     1,
		`godmmo_refusals_total{reason="conns_total"}`: 0,
	}
	for {
		got := scrape(t, admin)
		ok := true
		for k, v := range want {
			if g, present := got[k]; !present || g < v || (k == "godmmo_connections_open" && g != v) {
				ok = false
			}
		}
		if ok {
			info := ""
			for k := range got {
				if strings.HasPrefix(k, "godmmo_build_info{") {
					info = k
				}
			}
			if !strings.Contains(info, `goversion="go`) || !strings.Contains(info, "revision=") {
				t.Errorf("build info %q lacks its labels", info)
			}
			return
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("metrics never reached %v: %v", want, got)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestVersionAndLogFormat checks -version and -log-format json.
func TestVersionAndLogFormat(t *testing.T) {
	t.Parallel()
	cfg, err := parseExample([]string{"-version"}, env(nil))
	if err != nil || !cfg.Version {
		t.Fatalf("-version: %+v %v", cfg.Version, err)
	}
	if v := buildVersion(); v.goVersion == "" || v.version == "" {
		t.Errorf("build version %+v", v)
	}
	if _, err := parseExample([]string{"-log-format", "xml"}, env(nil)); err == nil {
		t.Error("-log-format xml accepted")
	}
	cfg, err = parseExample([]string{"-log-format", "json"}, env(nil))
	if err != nil || cfg.LogFormat != "json" {
		t.Fatalf("-log-format json: %q %v", cfg.LogFormat, err)
	}
	var buf bytes.Buffer
	newLogger(&buf, cfg).Info("hello", "k", 1)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "hello" {
		t.Errorf("json log line %q: %v", buf.String(), err)
	}
}

// logBuffer collects log lines from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTooBigCountedAndLogged: a message over the read limit closes with
// 1009, is counted as too_big (not protocol_error), and the text log gives
// the close code as the number clients and the docs know, its name beside.
func TestTooBigCountedAndLogged(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	app, _ := startAppLog(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0"), slog.New(slog.NewTextHandler(&logs, nil)))
	c := dial(t, app.Addr())
	c.sendRaw([]byte(`{"a":"Chat","p0":"","p1":"` + strings.Repeat("x", 5000) + `"}`))
	<-c.done
	if got := websocket.CloseStatus(c.err); got != websocket.StatusMessageTooBig {
		t.Fatalf("closed with %v, want 1009", c.err)
	}
	deadline := time.After(2 * wait)
	for {
		got := scrape(t, "http://"+app.AdminAddr()+"/metrics")
		if got[`godmmo_disconnects_total{reason="too_big"}`] == 1 && strings.Contains(logs.String(), "connection closed") {
			if n := got[`godmmo_disconnects_total{reason="protocol_error"}`]; n != 0 {
				t.Errorf("also counted as protocol_error: %v", n)
			}
			break
		}
		select {
		case <-deadline:
			t.Fatalf("too_big %v, protocol_error %v; log:\n%s", got[`godmmo_disconnects_total{reason="too_big"}`],
				got[`godmmo_disconnects_total{reason="protocol_error"}`], logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if line := logs.String(); !strings.Contains(line, "code=1009 close=too_big") {
		t.Errorf("the close is logged as %q, want code=1009 close=too_big", line)
	}
}
