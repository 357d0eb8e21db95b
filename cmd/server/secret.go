package server

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// secretFile is a flag whose value is a file's contents, read when the flag
// is set: -db-file and -admin-token-file (and GODMMO_DB_FILE,
// GODMMO_ADMIN_TOKEN_FILE), the way container platforms and systemd's
// LoadCredential hand secrets over. A password on the command line is
// readable by every local user in /proc/PID/cmdline and ps, and through the
// admin listener's /debug/pprof/cmdline; with a file they see its name only.
// In the environment the file wins over its flag (GODMMO_DB_FILE over an
// image's GODMMO_DB), on the command line the later of the two, and the
// command line over the environment, as for every flag.
type secretFile struct {
	path   string
	target *string
}

func (f *secretFile) String() string {
	if f == nil {
		return ""
	}
	return f.path
}

// Set reads the file into the flag it stands for, without the line ending
// an editor or `echo` leaves.
func (f *secretFile) Set(path string) error {
	s, err := readSecret(path)
	if err != nil {
		return err
	}
	f.path, *f.target = path, s
	return nil
}

// readSecret is the contents of the file at path without trailing line
// endings; an empty one is an error, as it is surely a mistake.
func readSecret(path string) (string, error) {
	if path == "" {
		return "", errors.New("no file named")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// adminTokenFromFile is lookupEnv with GODMMO_ADMIN_TOKEN read from the file
// GODMMO_ADMIN_TOKEN_FILE names, when it names one: `godmmo admin` inside a
// container or unit given the server's environment finds the token there too.
func adminTokenFromFile(lookupEnv func(string) (string, bool)) (func(string) (string, bool), error) {
	path, ok := lookupEnv("GODMMO_ADMIN_TOKEN_FILE")
	if !ok {
		return lookupEnv, nil
	}
	token, err := readSecret(path)
	if err != nil {
		return nil, fmt.Errorf("GODMMO_ADMIN_TOKEN_FILE: %w", err)
	}
	return func(name string) (string, bool) {
		if name == "GODMMO_ADMIN_TOKEN" {
			return token, true
		}
		return lookupEnv(name)
	}, nil
}
