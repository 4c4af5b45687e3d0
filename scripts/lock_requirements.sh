#!/usr/bin/env bash
# Regenerates requirements.lock (exact versions and SHA-256 of every wheel)
# from requirements.in, by resolving in a throw-away venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet -r "$root/requirements.in"
"$work/venv/bin/pip" freeze --exclude-editable | sort -f > "$work/pins.txt"
"$work/venv/bin/pip" download --quiet --no-deps -r "$work/pins.txt" -d "$work/wheels"
{
    echo "# Pinned, hash-checked host dependencies (tests, tools, the TFLM oracle)."
    echo "# Made by scripts/lock_requirements.sh from requirements.in; install with"
    echo "# pip install --require-hashes -r requirements.lock (scripts/setup.sh does)."
    while read -r pin; do
        name=${pin%%==*}
        key=$(echo "$name" | tr 'A-Z-.' 'a-z__')
        file=$(ls "$work/wheels" | while read -r f; do
            k=$(echo "${f%%-*}" | tr 'A-Z-.' 'a-z__'); [ "$k" = "$key" ] && echo "$f"; done | head -1)
        echo "$pin \\"
        echo "    --hash=sha256:$(sha256sum "$work/wheels/$file" | cut -d' ' -f1)"
    done < "$work/pins.txt"
} > "$root/requirements.lock"
echo "wrote $root/requirements.lock"
