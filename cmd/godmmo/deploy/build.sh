#!/usr/bin/env bash
# build.sh image [TAG]   the container image (task image), default tag godmmo:latest
# build.sh release [DIR] static binaries for every release platform and their
#                        SHA256SUMS (task release), default DIR build/release
#
# Binaries are CGO_ENABLED=0 (the SQLite driver is pure Go) and carry the
# revision through -ldflags, as -buildvcs=false stamps none. The image is
# built from a binary compiled here, not in a build container, so nothing is
# pulled from a registry. CONTAINER=docker builds it with Docker instead of
# Podman; CA_CERTS names the host's CA bundle if it is not Debian's.
set -euo pipefail
cd "$(dirname "$0")/../../.."

revision=unknown
if git rev-parse --git-dir >/dev/null 2>&1; then
	revision=$(git rev-parse HEAD)
	git diff --quiet HEAD -- || revision+=-dirty
fi

# static OUT: builds ./cmd/godmmo for $GOOS/$GOARCH (default: this machine's).
static() {
	CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/godmmo/godmmo/cmd/server.revision=$revision" -o "$1" ./cmd/godmmo
}

case "${1:-}" in
image)
	tag=${2:-godmmo:latest}
	engine=${CONTAINER:-podman}
	ctx=$(mktemp -d)
	trap 'rm -rf "$ctx"' EXIT
	GOOS=linux static "$ctx/godmmo"
	cp "${CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ca-certificates.crt"
	mkdir "$ctx/data"
	format=()
	# Podman writes OCI images by default, which have no HEALTHCHECK.
	[ "$engine" = podman ] && format=(--format docker)
	"$engine" build "${format[@]}" -t "$tag" -f cmd/godmmo/deploy/Containerfile "$ctx"
	;;
release)
	out=${2:-build/release}
	mkdir -p "$out"
	rm -f "$out"/godmmo-* "$out/SHA256SUMS"
	for target in linux/amd64 linux/arm64 darwin/arm64 windows/amd64; do
		os=${target%/*} arch=${target#*/}
		ext=
		[ "$os" = windows ] && ext=.exe
		echo "== $target"
		GOOS=$os GOARCH=$arch static "$out/godmmo-$os-$arch$ext"
	done
	(cd "$out" && sha256sum godmmo-* >SHA256SUMS && cat SHA256SUMS)
	;;
*)
	sed -n '2,4p' "$0" | sed 's/^# //' >&2
	exit 2
	;;
esac
