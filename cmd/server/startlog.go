package server

import (
	stdnet "net"
	"net/netip"
	"os"
	"strconv"
)

// logAddresses tells whoever started the server where everything is: the
// game's URL, the web client's (with -web), the console's, and how a phone
// or another machine on the LAN reaches the game.
func (a *App) logAddresses() {
	game, web := "ws://", "http://"
	if a.cfg.TLSCert != "" {
		game, web = "wss://", "https://"
	}
	addr := netip.MustParseAddrPort(a.Addr())
	a.log.Info("godmmo listening", "url", game+reachable(addr)+"/", "db", a.cfg.DB, "tick_rate", a.cfg.TickRate)
	if a.cfg.Web != "" {
		a.log.Info("web client", "url", web+reachable(addr)+"/")
	}
	if a.admin != nil {
		a.log.Info("admin console", "url", "http://"+reachable(netip.MustParseAddrPort(a.admin.Addr()))+"/")
	}
	switch ip := addr.Addr(); {
	case ip.IsLoopback():
		a.log.Info("only this machine can connect; for a phone or another machine on the LAN, start with -addr :" + strconv.Itoa(int(addr.Port())))
	case ip.IsUnspecified():
		for _, lan := range lanAddrs(4) {
			at := netip.AddrPortFrom(lan, addr.Port()).String()
			attrs := []any{"url", game + at + "/"}
			if a.cfg.Web != "" {
				attrs = append(attrs, "web", web+at+"/")
			}
			if inContainer() {
				attrs = append(attrs, "note", "addresses inside a container: players outside reach the host's address and the port published with -p")
			}
			a.log.Info("on the LAN", attrs...)
		}
	}
}

// inContainer reports whether the marker file Podman or Docker puts in a
// container is there.
func inContainer() bool {
	for _, marker := range []string{"/run/.containerenv", "/.dockerenv"} {
		if _, err := os.Stat(marker); err == nil {
			return true
		}
	}
	return false
}

// reachable is addr as a client on this machine dials it: a listener on
// every interface is reached on loopback.
func reachable(addr netip.AddrPort) string {
	if addr.Addr().IsUnspecified() {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), addr.Port()).String()
	}
	return addr.String()
}

// lanAddrs is up to n of this machine's IPv4 addresses other machines may
// reach it by: neither loopback nor link-local.
func lanAddrs(n int) []netip.Addr {
	addrs, err := stdnet.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil || !p.Addr().Is4() || p.Addr().IsLoopback() || p.Addr().IsLinkLocalUnicast() || len(out) == n {
			continue
		}
		out = append(out, p.Addr())
	}
	return out
}
