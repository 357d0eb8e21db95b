package server

// revision is the VCS revision given at link time, for builds the Go
// toolchain stamps none into (-buildvcs=false, a source tree without .git):
//
//	go build -ldflags "-X github.com/godmmo/godmmo/cmd/server.revision=$(git rev-parse HEAD)" ./cmd/godmmo
//
// cmd/godmmo/deploy/build.sh (task image, task release) sets it. A revision
// the toolchain stamped wins, as it also knows whether the tree was modified.
var revision string
