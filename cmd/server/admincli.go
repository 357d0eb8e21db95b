package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"
)

// adminUsage is `godmmo admin -help`.
const adminUsage = `usage: godmmo admin [-admin host:port] [-admin-token T] COMMAND [ARGS]

Talks to a running server's admin API (docs/operations.md).

  players [-json]                       the players online in the whole world, with their process
  kick NAME [REASON…]                   close NAME's connection; REASON is the close reason
  ban [-for D] [-reason R] NAME | ban [-for D] -address IP
                                        ban an account or an address; -for 24h expires

Flags may come before or after NAME; after "--" everything is text.
  unban NAME | unban -address IP        lift a ban
  bans                                  the bans in force
  mute [-for D] NAME | unmute NAME      stop or allow NAME's chat
  say TEXT…                             a chat line from "server" to everyone
  reset-password NAME [PASSWORD]        give NAME a new password (read from stdin when not given,
                                        so that it does not show in the process list)
  delete NAME | delete -prefix P        delete an account, or every account starting with P
`

// runAdmin is the `godmmo admin` subcommand: one API call, its answer on
// stdout. It reads -admin and -admin-token (or GODMMO_ADMIN and
// GODMMO_ADMIN_TOKEN) like the server does.
func runAdmin(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("godmmo admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	addr := fs.String("admin", "127.0.0.1:9081", "the server's admin listener [$GODMMO_ADMIN]")
	token := fs.String("admin-token", "", "the admin token, if the server has one [$GODMMO_ADMIN_TOKEN]")
	if v, ok := lookupEnv("GODMMO_ADMIN"); ok {
		*addr = v
	}
	if v, ok := lookupEnv("GODMMO_ADMIN_TOKEN"); ok {
		*token = v
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("admin: a command is needed")
	}
	c := &adminClient{base: "http://" + *addr, token: *token, http: &http.Client{Timeout: 30 * time.Second}}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	sub := flag.NewFlagSet("godmmo admin "+cmd, flag.ContinueOnError)
	sub.SetOutput(stderr)
	asJSON := sub.Bool("json", false, "print the answer as JSON")
	dur := sub.String("for", "", "how long, e.g. 30m or 24h (default: until lifted)")
	address := sub.String("address", "", "an IP address instead of an account")
	reason := sub.String("reason", "", "why, shown to the player")
	prefix := sub.String("prefix", "", "every account whose name starts with this")
	args, err := parseInterspersed(sub, rest)
	if err != nil {
		return err
	}
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	body := map[string]string{}
	var path string
	switch cmd {
	case "players":
		var players []map[string]any
		if err := c.do(ctx, "players", nil, &players); err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(players)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tID\tX\tY\tPROTO\tADDRESS\tPROCESS\tSINCE\tIN\tOUT")
		for _, p := range players {
			process := p["process"]
			if process == nil {
				process = "-"
			}
			fmt.Fprintf(tw, "%v\t%v\t%.1f\t%.1f\tv%v\t%v\t%v\t%v\t%v\t%v\n", p["name"], p["id"], p["x"], p["y"], p["protocol"], p["address"], process, p["since"], p["messages_in"], p["messages_out"])
		}
		return tw.Flush()
	case "bans":
		var bans []map[string]any
		if err := c.do(ctx, "bans", nil, &bans); err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(bans)
	case "kick":
		path, body["name"], body["reason"] = "kick", arg(0), strings.Join(args[min(1, len(args)):], " ")
	case "ban":
		path, body["name"], body["address"], body["duration"], body["reason"] = "ban", arg(0), *address, *dur, *reason
		if *reason == "" && len(args) > 1 {
			body["reason"] = strings.Join(args[1:], " ")
		}
	case "unban":
		path, body["name"], body["address"] = "unban", arg(0), *address
	case "mute":
		path, body["name"], body["duration"] = "mute", arg(0), *dur
	case "unmute":
		path, body["name"] = "unmute", arg(0)
	case "say":
		path, body["text"] = "broadcast", strings.Join(args, " ")
	case "reset-password":
		path, body["name"], body["password"] = "password", arg(0), arg(1)
		if len(args) < 2 {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("admin: reading the new password from stdin: %w", err)
			}
			body["password"] = strings.TrimRight(line, "\r\n")
		}
	case "delete":
		path, body["name"], body["prefix"] = "delete", arg(0), *prefix
	default:
		fs.Usage()
		return fmt.Errorf("admin: unknown command %q", cmd)
	}
	for k, v := range body {
		if v == "" {
			delete(body, k)
		}
	}
	var res map[string]any
	if err := c.do(ctx, path, body, &res); err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// parseInterspersed parses fs's flags wherever they stand among args (ban
// bob -reason spam as well as ban -reason spam bob) and returns the other
// arguments in order; after "--" everything is an argument.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), nil
		}
		rest, args = append(rest, left[0]), left[1:]
	}
}

// adminClient calls the admin API.
type adminClient struct {
	base, token string
	http        *http.Client
}

// do GETs path (body nil) or POSTs body as JSON, and decodes the answer
// into out; an error answer becomes an error with the server's text.
func (c *adminClient) do(ctx context.Context, path string, body any, out any) error {
	method, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("admin: %w", err)
		}
		method, rd = http.MethodPost, bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/"+path, rd)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("admin: reading the answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("admin: %s: %s", res.Status, e.Error)
		}
		return fmt.Errorf("admin: %s", res.Status)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("admin: decoding the answer: %w", err)
	}
	return nil
}
