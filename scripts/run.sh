#!/usr/bin/env bash
# Sets everything up and opens LiveDesk on the default SQLite store (user data folder),
# filled with demo data on the first run. Extra arguments go to livedesk.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
python -m pip install -q -e .
exec livedesk --demo "$@"
