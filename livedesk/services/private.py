"""The app's private folders (0700, in the user data folder) and files that hold customers' data.

What LiveDesk writes on its own account — import reports, the temporary files of an
export being written (LiveDesk's and openpyxl's) — goes here, never beside the user's
files and never in the shared ``/tmp``: a killed export must not leave names and phones
in a hidden file of the user's folder, nor a readable one in ``/tmp``.

Each process works in its own folder under ``tmp/``, holding a lock on a file in it for
as long as it runs. ``clean_leftovers`` (on every start of the app and the CLI) removes
the folders whose lock it can take: their process is gone, and what they hold is what a
crash or a kill left. A file that had to be copied into the user's folder under a temporary
name (another filesystem) is noted in the folder first, so it is removed with it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_work: tuple[Path, IO[bytes]] | None = None  # this process's folder and its held lock file
PENDING = "pending-targets.txt"  # temporary names this process made in users' folders
REPORTS_KEPT_DAYS = 30  # import reports hold buyers' names and phones: not kept for ever


def data_dir() -> Path:
    from livedesk.services.store import default_data_dir

    return default_data_dir()


def private_folder(name: str) -> Path:
    """``name`` under the data folder, created private (0700) if it is not there."""
    folder = data_dir() / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _make_private(folder, 0o700)
    return folder


def reports_dir() -> Path:
    return private_folder("reports")


def work_dir() -> Path:
    """This process's private temporary folder (made on first use, removed when it exits
    normally; by ``clean_leftovers`` after a crash)."""
    global _work
    with _lock:
        if _work is not None and _work[0].is_dir():
            return _work[0]
        root = private_folder("tmp")
        folder = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=root))
        held = (folder / ".lock").open("wb")
        _hold(held)
        _work = (folder, held)
        import atexit

        atexit.register(_remove_own)
        return folder


def private_file(suffix: str, prefix: str = "part-") -> Path:
    """A new empty file (0600) in this process's private folder."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=work_dir())
    os.close(fd)
    return Path(name)


def publish(source: Path, target: Path) -> None:
    """Move a finished private file to ``target`` atomically: a rename on one filesystem.
    Across filesystems it is copied under a temporary name beside ``target`` (noted first,
    so a kill during the copy leaves nothing behind after the next start) and renamed."""
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        import errno

        if exc.errno != errno.EXDEV:
            raise
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".part", dir=target.parent)
    os.close(fd)
    staged = Path(name)
    _note_pending(staged)
    try:
        shutil.copyfile(source, staged)
        os.replace(staged, target)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    finally:
        source.unlink(missing_ok=True)


def clean_leftovers() -> list[Path]:
    """Remove what killed or crashed LiveDesk processes left in ``tmp/`` (and the temporary
    files they noted in users' folders), and import reports older than REPORTS_KEPT_DAYS;
    returns what was removed. Never fails the start."""
    removed: list[Path] = []
    try:
        root = data_dir() / "tmp"
        own = _work[0] if _work is not None else None
        for entry in root.iterdir() if root.is_dir() else ():
            if entry == own:
                continue
            if entry.is_dir():
                if not _abandoned(entry):
                    continue
                for noted in _pending(entry):
                    if noted.exists():
                        noted.unlink(missing_ok=True)
                        removed.append(noted)
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
        removed.extend(_old_reports())
    except OSError:
        log.exception("cleaning the private temporary folder failed")
    if removed:
        log.info("removed %d leftovers of an interrupted run: %s", len(removed), removed)
    return removed


def _old_reports() -> list[Path]:
    import time

    folder = data_dir() / "reports"
    if not folder.is_dir():
        return []
    limit = time.time() - REPORTS_KEPT_DAYS * 86_400
    old = [p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < limit]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _abandoned(folder: Path) -> bool:
    lock = folder / ".lock"
    if not lock.exists():
        return True
    try:
        with lock.open("r+b") as fh:
            try:
                _hold(fh)
            except OSError:
                return False  # its process is still running
            _release(fh)
            return True
    except OSError:
        return False


def _hold(fh: IO[bytes]) -> None:
    if os.name == "nt":
        import msvcrt

        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _release(fh: IO[bytes]) -> None:
    if os.name == "nt":
        import msvcrt

        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _note_pending(path: Path) -> None:
    with (work_dir() / PENDING).open("a", encoding="utf-8") as fh:
        fh.write(f"{path}\n")
        fh.flush()
        os.fsync(fh.fileno())


def _pending(folder: Path) -> list[Path]:
    try:
        return [Path(line) for line in (folder / PENDING).read_text(encoding="utf-8").splitlines() if line]
    except OSError:
        return []


def _remove_own() -> None:
    global _work
    with _lock:
        if _work is None:
            return
        folder, held = _work
        _work = None
    held.close()
    shutil.rmtree(folder, ignore_errors=True)


def _make_private(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except OSError:  # a folder the user made with other rights, on a filesystem without modes
        log.warning("could not make %s private", path)


def open_private(path: Path, **text: Any) -> IO[str]:
    """``path`` opened for writing text (``text``: open()'s encoding, newline…) as a private
    file (0600), whatever its mode was if it existed; its folder made private if new."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _make_private(path, 0o600)
    return open(fd, "w", **text)


def stamped(stem: str, suffix: str) -> str:
    """``stem-YYYYmmdd-HHMMSS<suffix>``: a report's name, unique per second and sortable."""
    return f"{stem}-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
