package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
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
		"godmmo_chat_lines_total":                     1,
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
