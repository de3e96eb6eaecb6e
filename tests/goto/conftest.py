"""Fixtures for the GoTo adapter tests: one sandbox per run over real HTTP, and a contract check after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.goto import GotoClient, StaticTokens
from core.goto.sandbox import RunningSandbox, start_in_thread
from tests.goto.harness import ContractCheck, Linked, MovableClock, Recorder, SandboxAdmin, sandbox_config


@pytest.fixture(scope="session")
def admin(sandbox: RunningSandbox) -> Iterator[SandboxAdmin]:
    control = SandboxAdmin(sandbox)
    yield control
    control.http.close()


@pytest.fixture(scope="session")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="session")
def contract() -> ContractCheck:
    return ContractCheck()


@pytest.fixture(autouse=True)
def contract_checked(recorder: Recorder, contract: ContractCheck) -> Iterator[None]:
    """After every test: each meetings-API request GotoClient sent, and each response, must fit the contract."""
    recorder.take()
    yield
    problems = contract.problems(recorder.take())
    assert not problems, "contract violations:\n" + "\n".join(problems)


@pytest.fixture
def raw(sandbox: RunningSandbox, recorder: Recorder) -> Iterator[Any]:
    """A plain HTTP client to the sandbox whose responses are contract-checked too (its requests are not)."""
    import httpx

    with httpx.Client(base_url=sandbox.url, transport=recorder.transport("raw"), timeout=10) as client:
        yield client


@pytest.fixture
def make_linked(sandbox: RunningSandbox, admin: SandboxAdmin, recorder: Recorder) -> Iterator[Callable[..., Linked]]:
    """Build a client for a fresh sandbox account (config overrides as keyword arguments)."""
    made: list[GotoClient] = []
    controls: list[SandboxAdmin] = []

    def build(target: RunningSandbox = sandbox, account: str | None = None, **config: Any) -> Linked:
        control = admin
        if target is not sandbox:
            control = SandboxAdmin(target)
            controls.append(control)
        email = account or control.new_account()
        sleeps: list[float] = []
        tokens = StaticTokens({email: control.token_set(email)})
        client = GotoClient(
            sandbox_config(target, **config),
            tokens,
            transport=recorder.transport("client"),
            sleep=sleeps.append,
            random=lambda: 0.5,
        )
        tokens.oauth = client
        made.append(client)
        return Linked(client, tokens, email, sleeps)

    yield build
    for client in made:
        client.close()
    for control in controls:
        control.http.close()
    admin.reset_faults()


@pytest.fixture
def linked(make_linked: Callable[..., Linked]) -> Linked:
    """A client for a fresh sandbox account on the shared sandbox."""
    return make_linked()


@pytest.fixture(scope="module")
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture(scope="module")
def clocked_sandbox(tmp_path_factory: pytest.TempPathFactory, clock: MovableClock) -> Iterator[RunningSandbox]:
    """A second sandbox whose time the tests move (code expiry, token expiry, meeting ends)."""
    running = start_in_thread(tmp_path_factory.mktemp("clocked-sandbox"), clock=clock)
    yield running
    running.stop()
