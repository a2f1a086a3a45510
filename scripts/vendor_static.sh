#!/bin/sh
# Copy the pinned front-end libraries into the package's static folders: the screens' libraries
# (sortablejs, FullCalendar) into web/screens/static/vendor/, the builder's form library
# (@json-editor/json-editor) into builder_ui/static/vendor/.
#
# Run by a developer when a pinned version changes; the copied files are committed, so building,
# testing and `make demo` need neither Node.js nor the network. Only the minified bundle and the
# licence of each package are kept. Needs npm (for `npm pack`) and tar.
set -eu

SORTABLE_VERSION=1.15.7
FULLCALENDAR_VERSION=6.1.22
JSON_EDITOR_VERSION=2.17.2

root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/platform/stageflow/web/screens/static/vendor"
builder_vendor="$root/builder_ui/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# unpack <target dir> <package> <version> <dest dir name> <file>...: copy files of the package's
# tarball (a path inside the package keeps only its base name).
unpack() {
    target=$1 package=$2 version=$3 dest=$4
    shift 4
    unpacked="$work/unpacked/$dest"
    mkdir -p "$work/packs/$dest" "$unpacked"
    (cd "$work/packs/$dest" && npm pack --silent "$package@$version" >/dev/null)
    tar -xzf "$work/packs/$dest"/*.tgz -C "$unpacked"
    rm -rf "${target:?}/${dest:?}"
    mkdir -p "$target/$dest"
    for file in "$@"; do
        cp "$unpacked/package/$file" "$target/$dest/"
    done
    printf '%s@%s\n' "$package" "$version" > "$target/$dest/VERSION"
}

unpack "$vendor" sortablejs "$SORTABLE_VERSION" sortablejs Sortable.min.js LICENSE
unpack "$vendor" fullcalendar "$FULLCALENDAR_VERSION" fullcalendar index.global.min.js LICENSE.md
unpack "$builder_vendor" @json-editor/json-editor "$JSON_EDITOR_VERSION" json-editor dist/jsoneditor.js dist/jsoneditor.js.LICENSE.txt LICENSE
echo "vendored into $vendor and $builder_vendor:"
ls -l "$vendor"/* "$builder_vendor"/*
