"""Serving the sandbox: in a background thread on a free loopback port, or in the foreground for the CLI."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from core.goto.sandbox.app import create_app
from core.goto.sandbox.store import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Clock, utc_now
from core.kernel.config import load_settings

START_TIMEOUT = 15.0


@dataclass
class RunningSandbox:
    """A sandbox served in this process; `url` is its root, the OAuth base (`auth_url`) as well."""

    url: str
    data_dir: Path
    app: Starlette
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)

    @property
    def auth_url(self) -> str:
        """Base of /oauth/authorize and /oauth/token (GotoConfig.auth_url)."""
        return self.url

    @property
    def api_url(self) -> str:
        """Base of the meetings API (GotoConfig.api_url)."""
        return f"{self.url}/G2M/rest"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread (stalled answers are cut short)."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()


def _config(app: Starlette) -> uvicorn.Config:
    return uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1)


def start_in_thread(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Clock = utc_now,
    client_id: str = SANDBOX_CLIENT_ID,
    client_secret: str = SANDBOX_CLIENT_SECRET,
) -> RunningSandbox:
    """Serve the sandbox in a daemon thread; returns once it accepts connections (port 0 picks a free one)."""
    app = create_app(data_dir, clock=clock, client_id=client_id, client_secret=client_secret)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="goto-sandbox")
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the GoTo sandbox did not start")
        thread.join(0.005)  # returns at once if the thread dies; otherwise a short poll of server.started
    bound_host, bound_port = sock.getsockname()[:2]
    url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    return RunningSandbox(f"http://{url_host}:{bound_port}", data_dir, app, server, thread, sock)


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve in the foreground until interrupted; ROOMDESK_GOTO_CLIENT_ID/SECRET override the sandbox's client."""
    settings = load_settings()
    client_id = settings.goto_client_id or SANDBOX_CLIENT_ID
    client_secret = settings.goto_client_secret or SANDBOX_CLIENT_SECRET
    app = create_app(data_dir, client_id=client_id, client_secret=client_secret)
    print(
        f"GoTo sandbox on http://{host}:{port}  (API http://{host}:{port}/G2M/rest, client {client_id}, "
        f"state {data_dir / 'sandbox.db'})",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")
