//go:build !unix

package persist

// fileLock is a no-op where flock does not exist.
type fileLock struct{}

func lockFile(string) (*fileLock, error) { return &fileLock{}, nil }

func (*fileLock) release() {}
