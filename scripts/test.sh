#!/usr/bin/env bash
# Install what is missing, then run the whole test suite: Rust checks, pytest and nbval.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
(cd rhai_binding && cargo fmt --check && cargo clippy --quiet --release -- -D warnings)
# -P keeps the source folder off sys.path, so the tests import the installed package
# with its compiled Rhai binding.
exec .venv/bin/python -P -m pytest "$@"
