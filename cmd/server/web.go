package server

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// newWebHandler serves the game and the web client at one address, so a
// browser that opens the server's own URL gets the HTML5 export and then
// connects back to the same host and port: WebSocket upgrades go to game,
// GET and HEAD requests to the files in dir. With dir empty, GET / answers
// with a short page saying how to build the web export.
func newWebHandler(game http.Handler, dir string) (http.Handler, error) {
	files := http.Handler(http.HandlerFunc(noExportPage))
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("-web: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("-web: %s is not a directory", dir)
		}
		files = crossOriginIsolated(http.FileServer(noListing{http.Dir(dir)}))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocketUpgrade(r) {
			game.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		files.ServeHTTP(w, r)
	}), nil
}

// isWebSocketUpgrade reports whether r asks to become a WebSocket
// (Connection: upgrade and Upgrade: websocket, in any case and list).
func isWebSocketUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// crossOriginIsolated adds the headers a browser wants before it lets a page
// use SharedArrayBuffer, which HTML5 exports with threads need (the threads
// web template, Godot 3.5+'s "Threads" export type). The project's export
// uses the no-threads template, which needs none of them (docs/client.md);
// everything here is same-origin, so they cost nothing and keep a threads
// export working too.
func crossOriginIsolated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.ServeHTTP(w, r)
	})
}

// noListing hides directories that have no index.html: the export's files
// are served, a listing of the directory is not.
type noListing struct{ fs http.FileSystem }

func (n noListing) Open(name string) (http.File, error) {
	f, err := n.fs.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		index, err := n.fs.Open(path.Join(name, "index.html"))
		if err != nil {
			f.Close()
			return nil, fs.ErrNotExist
		}
		index.Close()
	}
	return f, nil
}

// noExportPage is GET / when the server runs without -web.
func noExportPage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, noExportHTML)
}

const noExportHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>godmmo</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>godmmo</h1>
<p>This is a godmmo game server. Its WebSocket endpoint is this address
(<code>ws://</code>, or <code>wss://</code> with TLS).</p>
<p>It serves no web client yet. To play in a browser, from the repository:</p>
<ol>
<li>Export the client to HTML5: <code>client/build.sh web</code> (writes <code>build/web/</code>;
it needs Debian's <code>godot3-server</code> and the Godot 3.2.3 web export template, see
<code>docs/client.md</code>). Or, in the Godot 3.2.3 editor: Editor &rarr; Manage Export
Templates &rarr; Download, then Project &rarr; Export &rarr; HTML5 to <code>build/web/index.html</code>.</li>
<li>Start the server with <code>-web build/web</code>
(<code>go run ./cmd/godmmo -web build/web</code>) and open this page again.</li>
</ol>
<p>Or play with the desktop client: <code>godot3-runner --path client</code>
(Debian's <code>godot3-runner</code>; add <code>--server=ws://host:port</code> for another server).</p>
</body></html>
`
