package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"strings"
	"time"
)

// runHealth is `godmmo health`: it asks a running server's /readyz on its
// admin listener and returns nil when the answer is 200. It is the container
// image's health check, since an image built FROM scratch has no curl.
// -admin (or GODMMO_ADMIN) is read as the server reads it, so inside the
// server's container or unit it finds the server with no flags.
func runHealth(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout io.Writer) error {
	fs := flag.NewFlagSet("godmmo health", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("admin", "127.0.0.1:9081", "the server's admin listener [$GODMMO_ADMIN]")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if v, ok := lookupEnv("GODMMO_ADMIN"); ok {
		*addr = v
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" {
		return errors.New("health: the admin listener is off (-admin \"\"), and /readyz is served there")
	}
	host, port, err := stdnet.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("health: -admin %q: %w", *addr, err)
	}
	// A server listening on every interface is asked on loopback.
	if ip := stdnet.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := "http://" + stdnet.JoinHostPort(host, port) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = fmt.Fprintf(stdout, "%s", body)
	return err
}
