#!/usr/bin/env bash
# Regenerates requirements.lock (exact versions and the SHA-256 of every wheel)
# from requirements.in, by resolving in a throw-away venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/requirements.in"
"$work/venv/bin/pip" freeze --all --exclude-editable | grep -v "^pip==" | sort -f > "$work/pins.txt"
"$work/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -r "$work/pins.txt" -d "$work/wheels"
python3 - "$work/pins.txt" "$work/wheels" "$root/requirements.lock" <<'EOF'
import hashlib
import re
import sys
from pathlib import Path

pins, wheels, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])


def key(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


files = {key(f.name.split("-")[0]): f for f in wheels.iterdir()}
lines = [
    "# Pinned, hash-checked host dependencies (tests, tools, the TFLM oracle).",
    "# Made by scripts/lock_requirements.sh from requirements.in; install with",
    "# pip install --require-hashes -r requirements.lock (scripts/setup.sh does).",
]
for pin in pins.read_text().split():
    digest = hashlib.sha256(files[key(pin.split("==")[0])].read_bytes()).hexdigest()
    lines.append(f"{pin} \\\n    --hash=sha256:{digest}")
out.write_text("\n".join(lines) + "\n")
print(f"wrote {out}")
EOF
