#!/usr/bin/env bash
# Create .venv if it is missing and install Hero Notebook into it, building the Rhai
# binding with cargo. Sourced by the other scripts; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo is missing; install Rust (https://rustup.rs) to build the Rhai binding" >&2
    exit 1
fi
# The maturin build backend runs `maturin` from PATH when build isolation is off.
export PATH="$PWD/.venv/bin:$PATH"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip "maturin>=1.9,<2"
echo "setup: building and installing hero-notebook (the first build compiles Rhai, about two minutes)"
.venv/bin/python -m pip install --quiet --no-build-isolation ".[test]"
