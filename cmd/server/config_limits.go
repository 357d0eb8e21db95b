package server

import (
	"fmt"
	stdnet "net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// limits finishes c.Limits from the -hosts and -exempt flags and checks them.
func (c *Config) limits(hosts, exempt string) error {
	l := &c.Limits
	for _, p := range strings.Split(exempt, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			if ip, ierr := netip.ParseAddr(p); ierr == nil {
				pre = netip.PrefixFrom(ip, ip.BitLen())
			} else {
				return fmt.Errorf("-exempt: %w", err)
			}
		}
		l.Exempt = append(l.Exempt, pre.Masked())
	}
	if hosts != "" {
		for _, h := range strings.Split(hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				l.Hosts = append(l.Hosts, h)
			}
		}
	} else {
		l.Hosts = ownHosts(c.Addr)
	}
	switch {
	case l.MaxConns < 0 || l.MaxConnsPerAddr < 0 || l.LoginFailsPerAccount < 0 || l.LoginFailsPerAddr < 0 ||
		l.HashesPerAddr < 0 || l.RegistrationsPerAddr < 0 || c.Chat.ChatRate < 0 || c.Chat.ChatBurst < 0:
		return fmt.Errorf("limits must not be negative (0 switches one off)")
	case l.LoginTimeout < 0 || l.LoginFailWindow <= 0 || l.LoginLockout < 0:
		return fmt.Errorf("-login-timeout and -login-lockout must not be negative, -login-fail-window must be positive")
	case l.LoginTimeout > 0 && l.LoginTimeout < 100*time.Millisecond:
		return fmt.Errorf("-login-timeout must be 0 or at least 100ms")
	}
	return nil
}

// ownHosts are the names a browser may use for a server listening on addr:
// its host, localhost and the loopback IPs, and when it listens on every
// interface, the machine's name and interface addresses too.
func ownHosts(addr string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	host, _, err := stdnet.SplitHostPort(addr)
	if err != nil {
		return hosts
	}
	ip, ipErr := netip.ParseAddr(host)
	if host != "" && (ipErr != nil || !ip.IsUnspecified()) {
		return append(hosts, host)
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	if addrs, err := stdnet.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				hosts = append(hosts, p.Addr().String())
			}
		}
	}
	return hosts
}

// loopbackAddr reports whether addr (host:port) listens on loopback only.
func loopbackAddr(addr string) bool {
	host, _, err := stdnet.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
