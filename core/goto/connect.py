"""Build the GoTo connection from the configuration: real GoTo, or the built-in sandbox on loopback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from core.goto import GotoClient, GotoConfig
from core.goto.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, RunningSandbox, start_in_thread
from core.goto.stored_tokens import StoredTokens
from core.kernel.config import Settings


@dataclass
class GotoConnection:
    client: GotoClient
    tokens: StoredTokens
    sandbox: RunningSandbox | None

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None


PORT_FILE = "sandbox.port"


def _start_sandbox(settings: Settings) -> RunningSandbox:
    """The embedded sandbox, on the port it had last time when that is free: join links in notes stay valid."""
    remembered = settings.data_dir / PORT_FILE
    try:
        port = int(remembered.read_text().strip())
    except (OSError, ValueError):
        port = 0
    try:
        running = start_in_thread(settings.data_dir, port=port)
    except OSError:  # taken by something else (or a second process): any free port will do
        running = start_in_thread(settings.data_dir)
    remembered.write_text(running.url.rsplit(":", 1)[1])
    return running


def connect_goto(
    engine: Engine, settings: Settings, *, sandbox: RunningSandbox | None = None, **client_options: Any
) -> GotoConnection:
    """Real GoTo when client credentials are configured; otherwise the sandbox (started here if not given)."""
    if settings.uses_real_goto:
        config = GotoConfig.from_settings(settings)
    else:
        sandbox = sandbox or _start_sandbox(settings)
        config = GotoConfig(
            auth_url=sandbox.auth_url,
            api_url=sandbox.api_url,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
        )
    tokens = StoredTokens(engine)
    client = GotoClient(config, tokens, **client_options)
    tokens.oauth = client  # the client refreshes through the same OAuth configuration it authorises with
    return GotoConnection(client=client, tokens=tokens, sandbox=None if settings.uses_real_goto else sandbox)
