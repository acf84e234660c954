"""Refresh resources/i18n from the UI's source strings, then compile the .qm files.

    python scripts/update_translations.py          # lupdate + lrelease
    python scripts/update_translations.py --check  # exit 1 if a string lacks a translation

The .ts files are the source of truth (edit them with Qt Linguist: pyside6-linguist);
the compiled .qm files are committed so a checkout runs without a build step, and a
test keeps them in step with the .ts files.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
LANGUAGES = ("zh_CN", "en")
# English needs a catalogue only for plurals: "%n customers" is the source, "1 customer" its
# singular numerus form. Everything else is English in the source already.
PLURAL_ONLY = ("en",)


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit(f"{name} not found: install PySide6-Essentials in this environment")
    return found


def ui_sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "livedesk" / "ui").rglob("*.py"))


def lupdate(ts: Path) -> None:
    plural_only = ["-pluralonly"] if ts.stem.removeprefix("livedesk_") in PLURAL_ONLY else []
    subprocess.run([tool("pyside6-lupdate"), *ui_sources(), "-ts", str(ts), "-no-obsolete", "-locations", "none",
                    *plural_only], cwd=ROOT, check=True, capture_output=True)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], cwd=ROOT, check=True, capture_output=True)


def unfinished(ts: Path) -> list[str]:
    text = ts.read_text(encoding="utf-8")
    return re.findall(r"<source>([^<]*)</source>\s*(?:<comment>[^<]*</comment>\s*)?"
                      r"<translation type=\"unfinished\"", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a translation is missing")
    args = parser.parse_args()
    missing_any = False
    for language in LANGUAGES:
        ts = I18N / f"livedesk_{language}.ts"
        lupdate(ts)
        lrelease(ts, ts.with_suffix(".qm"))
        missing = unfinished(ts)
        missing_any |= bool(missing)
        print(f"{ts.name}: {len(missing)} untranslated")
        for source in missing:
            print(f"  {source}")
    return 1 if args.check and missing_any else 0


if __name__ == "__main__":
    raise SystemExit(main())
