#!/usr/bin/env bash
# Builds the one-folder app with PyInstaller (build.spec), prints the build time and the
# bundle size, and runs the built executable's self-test offscreen. Exits non-zero if the
# build or any self-test check fails. Uses the active virtualenv if there is one, otherwise
# the project's own (scripts/setup.sh, which also installs the system libraries Qt needs).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
  . scripts/setup.sh
fi
# pip is a no-op when everything is already there; it catches a dependency added since.
# Its build warnings only reach the log when it fails.
pip_log="$(mktemp)"
python -m pip install -q -e '.[build]' > "$pip_log" 2>&1 || { cat "$pip_log" >&2; rm -f "$pip_log"; exit 1; }
rm -f "$pip_log"

started=$(date +%s)
python -m PyInstaller --noconfirm --clean --log-level WARN build.spec
echo "build: $(( $(date +%s) - started )) s with $(python -m PyInstaller --version) on $(python --version)"
echo "bundle size: $(du -sh dist/livedesk | cut -f1) (dist/livedesk)"

# The report goes to a file; Qt's messages are inside it, so the log stays readable.
rm -f dist/self-test.json
status=0
# With PostgreSQL's binaries here (scripts/setup.sh installs them), the self-test also proves
# the bundled driver reaches a server: a throwaway one, started from the virtualenv.
if python -c 'import sys; from livedesk.checks.pg_server import find_bin_dir; find_bin_dir()' 2>/dev/null; then
  QT_QPA_PLATFORM=offscreen python -m livedesk.checks.pg_server -- \
    dist/livedesk/livedesk --db-url '{url}' self-test --out dist/self-test.json > /dev/null || status=$?
else
  echo "build: no PostgreSQL binaries here, the self-test skips the server store" >&2
  QT_QPA_PLATFORM=offscreen dist/livedesk/livedesk self-test --out dist/self-test.json > /dev/null || status=$?
fi
if [ ! -s dist/self-test.json ]; then
  echo "self-test of the built app: no report, it exited with status $status" >&2
  exit "$(( status ? status : 1 ))"
fi
python - <<'PY'
import json
report = json.load(open("dist/self-test.json", encoding="utf-8"))
print(f"self-test of the built app ({report['version']}, {report['qt']}):", "ok" if report["ok"] else "FAILED")
for check in report["checks"]:
    print(f"  {'ok ' if check['ok'] else 'FAIL'} {check['name']} ({check['ms']} ms): {check['detail'].splitlines()[0]}")
    if not check["ok"]:
        print("       " + "\n       ".join(check["detail"].splitlines()[1:]))
PY
exit "$status"
