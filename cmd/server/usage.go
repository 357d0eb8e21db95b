package server

import (
	"errors"
	"flag"
	"strings"
)

// usage is what `godmmo` prints above a command line it cannot parse: short,
// so that the error printed after it is still on the screen. -help adds
// every flag.
const usage = `usage: godmmo [flags]              serve the world (ws://127.0.0.1:8081/, godmmo.db here)
       godmmo admin COMMAND [ARGS]  act on a running server (godmmo admin -help)
       godmmo health                ask a running server's /readyz; exit 0 when ready
       godmmo -version              print the version and revision
every flag: godmmo -help, or the Flags table in README.md
`

// usageError is a command line the flags could not parse, or -help; main
// prints Usage to stderr before the error, so that the error comes last.
type usageError struct {
	err   error
	Usage string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// newUsageError wraps err with the short usage, or with every flag of fs
// when err is flag.ErrHelp.
func newUsageError(fs *flag.FlagSet, err error) error {
	if !errors.Is(err, flag.ErrHelp) {
		return &usageError{err: err, Usage: usage}
	}
	var b strings.Builder
	b.WriteString(usage + "\nflags (each also from the environment variable in brackets; the command line wins):\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return &usageError{err: err, Usage: b.String()}
}
