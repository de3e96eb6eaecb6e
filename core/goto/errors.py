"""GoTo failures as one small hierarchy; each message can be shown to a user as it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.goto.api import MeetingSpec


class GotoError(Exception):
    """Any failure talking to GoTo; `str(err)` is a message a user can read."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class GotoUnavailable(GotoError):
    """GoTo did not answer usefully: connection failure, timeout, or 5xx after the retries."""

    def __init__(
        self,
        message: str = "GoTo is not reachable at the moment. Please try again later.",
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(message, status=status)


class GotoRateLimited(GotoError):
    """GoTo answered 429 (too many requests) even after waiting as it asked."""

    def __init__(self, retry_after: float | None) -> None:
        wait = f" in {retry_after:.0f} seconds" if retry_after else " in a moment"
        super().__init__(f"GoTo is receiving too many requests. Please try again{wait}.", status=429)
        self.retry_after = retry_after


class GotoAuthExpired(GotoError):
    """GoTo no longer accepts the account's tokens; with `needs_relinking` only a new link helps."""

    def __init__(
        self,
        message: str = "GoTo no longer accepts the sign-in of this account.",
        *,
        needs_relinking: bool = False,
        status: int | None = 401,
    ) -> None:
        super().__init__(message, status=status)
        self.needs_relinking = needs_relinking


class GotoRejected(GotoError):
    """GoTo refused the request (4xx other than 401, 404 and 429); `detail` is GoTo's own text."""

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"GoTo refused the request: {detail}", status=status)
        self.detail = detail


class GotoNotFound(GotoError):
    """The meeting does not exist at GoTo (or belongs to another account)."""

    def __init__(self, meeting_id: str) -> None:
        super().__init__(f"The meeting {meeting_id} does not exist at GoTo (any more).", status=404)
        self.meeting_id = meeting_id


class GotoMeetingActive(GotoError):
    """Another meeting of the same account is running; GoTo runs only one meeting per account at a time."""

    def __init__(self, active_meeting_id: str | None, detail: str = "") -> None:
        which = f" ({active_meeting_id})" if active_meeting_id else ""
        super().__init__(
            f"Another meeting{which} is running on this GoTo account; only one meeting can run at a time.", status=409
        )
        self.active_meeting_id = active_meeting_id
        self.detail = detail


class GotoAmbiguousCreate(GotoUnavailable):
    """A create may have been executed without us seeing the answer: look it up before creating again."""

    def __init__(self, account: str, spec: MeetingSpec, *, status: int | None = None) -> None:
        super().__init__(
            "GoTo did not confirm the new meeting; it may exist already. It must be looked up before trying again.",
            status=status,
        )
        self.account = account
        self.spec = spec


class GotoOAuthError(GotoError):
    """The GoTo sign-in service answered with an RFC 6749 error."""

    def __init__(self, error: str, error_description: str | None = None, *, status: int | None = None) -> None:
        super().__init__(f"GoTo sign-in failed: {error_description or error} ({error})", status=status)
        self.error = error
        self.error_description = error_description
