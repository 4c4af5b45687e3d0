#!/usr/bin/env bash
# Regenerates requirements-torch.lock (exact versions and the SHA-256 of every
# wheel) for the optional PyTorch front end: installs requirements.lock in a
# throw-away venv, then requirements-torch.in on top, and pins every package
# that is new or whose version differs from requirements.lock (the torch stack
# needs a newer setuptools and older immutabledict/typing-extensions).
# torch's wheel is the CPU build pip finds through its find-links (/opt/wheels
# here); its hash is that file's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
pip=("$work/venv/bin/pip" --quiet --disable-pip-version-check)
"${pip[@]}" install --require-hashes -r "$root/requirements.lock"
"${pip[@]}" install -r "$root/requirements-torch.in"
grep -o '^[^ #][^ ]*==[^ ]*' "$root/requirements.lock" | sort -f > "$work/base.txt"
"$work/venv/bin/pip" freeze --all --exclude-editable | grep -v "^pip==" | sort -f > "$work/all.txt"
comm -23 <(sort "$work/all.txt") <(sort "$work/base.txt") | sort -f > "$work/pins.txt"
"${pip[@]}" download --no-deps -r "$work/pins.txt" -d "$work/wheels"
python3 - "$work/pins.txt" "$work/wheels" "$root/requirements-torch.lock" <<'PY'
import hashlib
import re
import sys
from pathlib import Path

pins, wheels, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])


def key(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


files = {key(f.name.split("-")[0]): f for f in wheels.iterdir()}
lines = [
    "# Pinned, hash-checked PyTorch front end (torch, litert-torch), on top of requirements.lock.",
    "# Made by scripts/lock_requirements_torch.sh from requirements-torch.in; install with",
    "# pip install --require-hashes -r requirements-torch.lock after requirements.lock",
    "# (make setup-torch does).",
]
for pin in pins.read_text().split():
    digest = hashlib.sha256(files[key(pin.split("==")[0])].read_bytes()).hexdigest()
    lines.append(f"{pin} \\\n    --hash=sha256:{digest}")
out.write_text("\n".join(lines) + "\n")
print(f"wrote {out}")
PY
