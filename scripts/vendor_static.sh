#!/bin/sh
# Copy the pinned front-end libraries of the screens into the package's static folder.
#
# Run by a developer when a pinned version changes; the copied files are committed, so building,
# testing and `make demo` need neither Node.js nor the network. Only the minified bundle and the
# licence of each package are kept. Needs npm (for `npm pack`) and tar.
set -eu

SORTABLE_VERSION=1.15.7
FULLCALENDAR_VERSION=6.1.22

root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/platform/stageflow/web/screens/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# unpack <package> <version> <dest dir name> <file>...: copy files of the package's tarball.
unpack() {
    package=$1 version=$2 dest=$3
    shift 3
    (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
    mkdir -p "$work/$package"
    tar -xzf "$work/$package-$version.tgz" -C "$work/$package"
    rm -rf "${vendor:?}/$dest"
    mkdir -p "$vendor/$dest"
    for file in "$@"; do
        cp "$work/$package/package/$file" "$vendor/$dest/"
    done
    printf '%s@%s\n' "$package" "$version" > "$vendor/$dest/VERSION"
}

unpack sortablejs "$SORTABLE_VERSION" sortablejs Sortable.min.js LICENSE
unpack fullcalendar "$FULLCALENDAR_VERSION" fullcalendar index.global.min.js LICENSE.md
echo "vendored into $vendor:"
ls -l "$vendor"/*
