#!/usr/bin/env bash
# Builds the one-folder app with PyInstaller, prints its size, and runs the built
# executable's self-test offscreen; fails if the build or the self-test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
python -m pip install -q -e '.[build]'
started=$(date +%s)
pyinstaller --noconfirm --clean --log-level WARN build.spec
echo "build: $(( $(date +%s) - started )) s"
echo "bundle size: $(du -sh dist/livedesk | cut -f1) (dist/livedesk)"
QT_QPA_PLATFORM=offscreen dist/livedesk/livedesk self-test --out dist/self-test.json > /dev/null
python -c "import json; r = json.load(open('dist/self-test.json')); print('self-test:', 'ok' if r['ok'] else 'FAILED', '-', ', '.join(c['name'] + (' ok' if c['ok'] else ' FAILED') for c in r['checks']))"
