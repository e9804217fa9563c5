#!/usr/bin/env bash
# Install what is missing, then run notebooks/quickstart.ipynb through the hero kernel
# and print each cell's output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m hero_kernel.run notebooks/quickstart.ipynb "$@"
