"""A GoTo client whose chosen calls reach the sandbox and then lose their answer (the worst case for a client).

The sandbox's own fault queue refuses calls before they take effect; the defects of issue 12 need the
opposite: GoTo *did* the work, the answer is a 500 or never arrives. This transport forwards the request
to the real sandbox over HTTP and then throws the answer away, deterministically, with no sleeping. A hook
can run "while the call is in flight" (a user saving meanwhile), still in the one test thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from core.goto import GotoClient
from core.goto.connect import GotoConnection


@dataclass
class LostAnswer:
    method: str
    path_suffix: str
    kind: str = "500"  # 500 | 502 | 504 | timeout, or "pass": the answer arrives, `during` ran first
    count: int = 1
    during: Callable[[], None] | None = None  # runs after GoTo did the work, before the caller hears anything


@dataclass
class AfterEffectTransport(httpx.BaseTransport):
    inner: httpx.BaseTransport = field(default_factory=httpx.HTTPTransport)
    queue: list[LostAnswer] = field(default_factory=list)
    join_urls: list[str] = field(default_factory=list)  # every join link GoTo actually handed out

    def lose(self, method: str, path_suffix: str, kind: str = "500", *, count: int = 1, during=None) -> None:  # type: ignore[no-untyped-def]
        """The next `count` matching calls take effect at GoTo, but their answer is lost."""
        self.queue.append(LostAnswer(method, path_suffix, kind, count, during))

    def meanwhile(self, method: str, path_suffix: str, during: Callable[[], None]) -> None:
        """While the next matching call is in flight (done at GoTo, answer not yet read), run `during`."""
        self.queue.append(LostAnswer(method, path_suffix, "pass", 1, during))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        fault = next(
            (f for f in self.queue if f.method == request.method and request.url.path.endswith(f.path_suffix)), None
        )
        if fault is None:
            self._remember(request, response)
            return response
        fault.count -= 1
        if fault.count <= 0:
            self.queue.remove(fault)
        if fault.during is not None:
            fault.during()
        if fault.kind == "pass":
            self._remember(request, response)
            return response
        if fault.kind == "timeout":
            raise httpx.ReadTimeout("the answer never came", request=request)
        return httpx.Response(int(fault.kind), json={"int_err_code": "ServerError", "msg": "lost"}, request=request)

    def _remember(self, request: httpx.Request, response: httpx.Response) -> None:
        if request.method == "POST" and request.url.path.endswith("/meetings") and response.status_code < 300:
            body = response.json()
            row = body[0] if isinstance(body, list) else body
            self.join_urls.append(row.get("joinURL"))

    def close(self) -> None:
        self.inner.close()


def faulty_client(goto: GotoConnection) -> tuple[GotoClient, AfterEffectTransport]:
    """A client over the same sandbox and stored tokens as `goto`, whose answers can be lost on demand."""
    transport = AfterEffectTransport()
    client = GotoClient(goto.client.config, goto.tokens, transport=transport, sleep=lambda _: None)
    return client, transport
