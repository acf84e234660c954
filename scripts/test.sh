#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (offscreen Qt). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
python -m pip install -q -e '.[test]'
python -m pytest "$@"
