//go:build unix

package persist

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fileLock is an exclusive flock on a file beside the database, holding the
// pid of the process that has it. The kernel drops it when the process
// dies, so a crash (even SIGKILL) never leaves the database locked.
type fileLock struct{ f *os.File }

// lockFile takes the lock at path, or says which process holds it.
func lockFile(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("persist: lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = "process " + strconv.Itoa(pid)
			}
		}
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("persist: the database is in use by %s (lock %s): %w", holder, path, ErrLocked)
		}
		return nil, fmt.Errorf("persist: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0) //nolint:errcheck // the pid is only a hint for the message above
	}
	return &fileLock{f: f}, nil
}

// release gives the lock up. The file stays: removing it would let a
// third process lock a new file while a second still waits on the old one.
func (l *fileLock) release() {
	unix.Flock(int(l.f.Fd()), unix.LOCK_UN) //nolint:errcheck // closing releases it anyway
	l.f.Close()
}
