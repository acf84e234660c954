# Sourced by run.sh, test.sh and build.sh: prepares a fresh Debian/Ubuntu machine
# (or any machine with Python >= 3.11) and activates the project's virtualenv.
# Idempotent: a second run only checks.

PYTHON="${PYTHON:-python3}"
VENV="${LIVEDESK_VENV:-.venv}"

_ld_need_apt() {
  # System libraries Qt needs even offscreen, the xcb ones for a real window, a CJK font.
  local pkgs=() lib pkg
  command -v ldconfig >/dev/null 2>&1 || return 0
  local cache
  cache="$(ldconfig -p)"
  while read -r lib pkg; do
    grep -q "$lib" <<<"$cache" || pkgs+=("$pkg")
  done <<'LIBS'
libGL.so.1 libgl1
libEGL.so.1 libegl1
libxkbcommon.so.0 libxkbcommon0
libfontconfig.so.1 libfontconfig1
libdbus-1.so.3 libdbus-1-3
libxcb-cursor.so.0 libxcb-cursor0
libxcb-icccm.so.4 libxcb-icccm4
libxcb-keysyms.so.1 libxcb-keysyms1
libxcb-image.so.0 libxcb-image0
libxcb-render-util.so.0 libxcb-render-util0
libxkbcommon-x11.so.0 libxkbcommon-x11-0
libxcb-xkb.so.1 libxcb-xkb1
libxcb-shape.so.0 libxcb-shape0
libxcb-randr.so.0 libxcb-randr0
LIBS
  if command -v fc-list >/dev/null 2>&1; then
    [ -n "$(fc-list :lang=zh family 2>/dev/null)" ] || pkgs+=(fonts-noto-cjk)
  else
    pkgs+=(fontconfig fonts-noto-cjk)
  fi
  "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || pkgs+=(python3-venv)
  # The tests start a throwaway PostgreSQL server of their own (initdb, postgres).
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 || pkgs+=(postgresql)
  printf '%s\n' "${pkgs[@]}"
}

_ld_apt_install() {
  local pkgs
  mapfile -t pkgs < <(_ld_need_apt)
  [ "${#pkgs[@]}" -gt 0 ] && [ -n "${pkgs[0]}" ] || return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: please install these system packages first: ${pkgs[*]}" >&2; return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get here; install the equivalents of: ${pkgs[*]}" >&2; return 0
  fi
  echo "setup: installing system packages: ${pkgs[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

_ld_setup() {
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "setup: LiveDesk needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2; return 1; }
  _ld_apt_install || return 1
  local want
  want="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ -x "$VENV/bin/python" ] && [ "$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$want" ]; then
    echo "setup: $VENV was made with another Python; recreating it for $want" >&2
    rm -rf "$VENV"
  fi
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || return 1
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
  python -m pip install -q --upgrade pip >/dev/null
}

_ld_setup || { echo "setup failed" >&2; exit 1; }
