"""A throwaway PostgreSQL server from the machine's own binaries, for tests and benchmarks.

``initdb`` into a temporary folder, ``postgres`` on a free loopback port, gone on ``stop()``.
Both programs refuse to run as root (CI runs as root): then the server runs as the
``postgres`` system user (Debian's package creates it) and the folder is handed to it.
Durability is switched off: nothing here must survive a power cut, and fsync per commit
would make every test wait on the disk.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
SUPERUSER = "livedesk"
START_TIMEOUT_S = 30.0


class ServerUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the server would not start; the message says which."""


def find_bin_dir() -> Path:
    if os.environ.get("LIVEDESK_PG_BIN"):
        return Path(os.environ["LIVEDESK_PG_BIN"])
    for folder in BIN_DIRS:
        if (Path(folder) / "initdb").is_file():
            return Path(folder)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ServerUnavailable("PostgreSQL's initdb was not found: install Debian's 'postgresql' package "
                            "(scripts/setup.sh does) or set LIVEDESK_PG_BIN")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayServer:
    """``with ThrowawayServer() as server: server.url("dbname")``."""

    def __init__(self) -> None:
        self.bin = find_bin_dir()
        self.folder = Path(tempfile.mkdtemp(prefix="livedesk-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._as_user: dict[str, object] = {}
        if os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam("postgres")  # KeyError: no such user; Debian's package makes it
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            self._as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def _run(self, *args: str) -> None:
        done = subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                              cwd=self.folder, **self._as_user)
        if done.returncode:
            raise ServerUnavailable(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")

    def start(self) -> ThrowawayServer:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - the server writes to it until stop()
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-h", "127.0.0.1",
             "-k", str(self.folder), "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=128MB"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True, **self._as_user)
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise ServerUnavailable(f"postgres exited at start: {self.log_tail()}")
            try:
                psycopg.connect(self.conninfo(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise ServerUnavailable(f"postgres did not accept connections: {self.log_tail()}") from None
                time.sleep(0.05)

    def log_tail(self) -> str:
        try:
            return (self.folder / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self, *, remove: bool = True) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGINT: fast shutdown (clients cut, a checkpoint); SIGQUIT when the data goes
            # away anyway: no checkpoint to wait for.
            self.process.send_signal(3 if remove else 2)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)

    def crash(self) -> None:
        """SIGKILL the server and every backend at once, as a power cut would: no shutdown,
        no checkpoint. ``start()`` then runs crash recovery on the same data."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the backends die too
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port and data: every open connection is cut."""
        self.stop(remove=False)
        self.start()

    def execute(self, sql: str, database: str = "postgres") -> None:
        """One statement outside a transaction (CREATE/DROP DATABASE cannot run inside one)."""
        import psycopg

        with psycopg.connect(self.conninfo(database), autocommit=True) as conn:
            conn.execute(sql)

    def __enter__(self) -> ThrowawayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m livedesk.checks.pg_server COMMAND…``: run COMMAND with a throwaway server,
    every ``{url}`` in it replaced by a fresh database's URL (scripts/build.sh: the built
    app's self-test reaches a server). Exits with COMMAND's status."""
    import sys

    command = list(sys.argv[1:] if argv is None else argv)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("usage: python -m livedesk.checks.pg_server COMMAND [ARG|{url}]…", file=sys.stderr)
        return 2
    with ThrowawayServer() as server:
        server.execute("CREATE DATABASE livedesk")
        url = server.url("livedesk")
        return subprocess.run([part.replace("{url}", url) for part in command]).returncode


if __name__ == "__main__":
    raise SystemExit(main())
