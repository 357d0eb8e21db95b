package server

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumInstall is what the browser tests skip with when Chromium is missing.
const chromiumInstall = "apt-get update && apt-get install -y chromium"

// browserTimeout bounds one browser's whole life in a test.
const browserTimeout = 3 * time.Minute

// newBrowser starts a headless Chromium (Debian's chromium) with a fresh
// profile and returns a chromedp context for its first tab; the browser is
// closed when the test ends. It skips the test when Chromium is missing.
//
// The flags keep it off the network (no background requests, updates, sync
// or QUIC: the machines have no network, and Chromium would otherwise try
// again and again), let it run as root (no sandbox), and give it WebGL
// headless through SwiftShader, which the Godot web export needs. opts are
// appended, e.g. chromedp.WindowSize(1280, 800).
func newBrowser(t *testing.T, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skipf("chromium is not installed, so nothing is tested in a browser: %s", chromiumInstall)
	}
	all := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		// A page in a background tab or an unfocused window is throttled:
		// the game's frames would slow down while nobody looks.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
	}
	all = append(all, opts...)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, all...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	// Start the browser now, so that a broken install fails here, clearly.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cancelBrowser() // closes the browser and waits for it
		cancelAlloc()
		cancelTimeout()
	})
	return bctx
}
