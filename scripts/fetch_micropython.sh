#!/usr/bin/env bash
# Fetches the MicroPython 1.23 core from the PyPI sdist mpy-cross-v6-3 (pinned,
# SHA-256 checked) into build/deps/micropython, and prints that path.
# With MPY_DIR set to a MicroPython checkout, prints that instead.
set -euo pipefail
if [ -n "${MPY_DIR:-}" ]; then
    [ -f "$MPY_DIR/py/dynruntime.mk" ] || { echo "MPY_DIR=$MPY_DIR has no py/dynruntime.mk" >&2; exit 1; }
    echo "$MPY_DIR"; exit 0
fi
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/build/deps"
version=1.1.1
sha256=55414c358f5844c784e76d3b253cbd7af5f243ddd4c0b47a26d3875d628df300
if [ ! -f "$dest/micropython/.fetched-$version" ]; then
    mkdir -p "$dest/dl"
    tarball="$dest/dl/mpy_cross_v6_3-$version.tar.gz"
    if [ ! -f "$tarball" ]; then
        python3 -m pip download --quiet --no-deps --no-binary :all: "mpy-cross-v6-3==$version" -d "$dest/dl" >&2
    fi
    echo "$sha256  $tarball" | sha256sum --check --quiet - >&2 || { echo "checksum mismatch for $tarball" >&2; exit 1; }
    rm -rf "$dest/micropython" "$dest/unpack"
    mkdir -p "$dest/unpack"
    tar -xzf "$tarball" -C "$dest/unpack"
    mv "$dest/unpack/mpy_cross_v6_3-$version/micropython" "$dest/micropython"
    rm -rf "$dest/unpack"
    touch "$dest/micropython/.fetched-$version"
fi
echo "$dest/micropython"
