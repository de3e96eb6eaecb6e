"""A throwaway PostgreSQL server for the test suite, started from the machine's own binaries."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """Where initdb/pg_ctl live: pg_config's answer, Debian's versioned folders, or PATH."""
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://roomdesk@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://roomdesk@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def _demote() -> tuple[int, int] | None:
    # initdb and postgres refuse to run as root; as root we run them as the unprivileged "nobody".
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def start(bindir: Path) -> PostgresServer:
    """initdb into a temporary folder and start postgres on a free loopback port; waits until it answers."""
    root = Path(tempfile.mkdtemp(prefix="roomdesk-pg-"))
    ids = _demote()
    if ids:
        os.chown(root, *ids)
    user_kw = {"user": ids[0], "group": ids[1]} if ids else {}
    data = root / "data"
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "roomdesk", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        **user_kw,
    )
    server = PostgresServer(bindir=bindir, root=root, port=free_port())
    server.process = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(server.port),
            "-h",
            "127.0.0.1",
            "-k",
            str(root),
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "max_connections=100",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "server.log", "wb"),  # noqa: SIM115  (the server writes to it while it runs)
        **user_kw,
    )
    ready = bindir / "pg_isready"
    for _ in range(600):  # pg_isready -t waits on the server itself; this bounds the total at about a minute
        if server.process.poll() is not None:
            raise RuntimeError(f"postgres exited: {(root / 'server.log').read_text(errors='replace')[-2000:]}")
        if (
            subprocess.run(
                [str(ready), "-h", "127.0.0.1", "-p", str(server.port), "-t", "1"], capture_output=True
            ).returncode
            == 0
        ):
            return server
    server.stop()
    raise RuntimeError("postgres did not become ready")
