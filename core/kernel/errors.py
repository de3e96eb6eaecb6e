"""Domain errors: each carries a translatable message and, where it applies, the field it is about."""

from __future__ import annotations

from typing import Any

from core.kernel.i18n import translate


class RoomDeskError(Exception):
    """Base of every error a user may see; `message(lang)` renders it in the user's language."""

    key = "error.generic"

    def __init__(self, key: str | None = None, *, field: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.field = field
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        return translate(self.key, lang, **self.params)


class ValidationFailed(RoomDeskError):
    """One or more fields are wrong; `errors` maps each field to its own error."""

    key = "error.validation"

    def __init__(self, errors: list[RoomDeskError]) -> None:
        self.errors = errors
        super().__init__(self.key, count=len(errors))

    def message(self, lang: str = "en") -> str:
        return "\n".join(err.message(lang) for err in self.errors)

    def by_field(self) -> dict[str, RoomDeskError]:
        return {err.field or "": err for err in self.errors}


class NotFound(RoomDeskError):
    key = "error.not_found"


class PermissionDenied(RoomDeskError):
    key = "error.permission_denied"


class SignInFailed(RoomDeskError):
    key = "error.sign_in_failed"


class StaleAppointment(RoomDeskError):
    key = "error.stale_appointment"


class OverbookingWarning(RoomDeskError):
    """Saving would overbook a room; the caller must confirm. `conflicts` names the other appointments."""

    key = "warning.overbooking"

    def __init__(self, *, room: str, conflicts: list[dict[str, Any]]) -> None:
        self.room = room
        self.conflicts = conflicts
        names = ", ".join(f"“{c['subject']}”" for c in conflicts)
        super().__init__(self.key, room=room, names=names, count=len(conflicts))


class ImportRejected(RoomDeskError):
    """A booking file had bad rows; nothing of it was imported. `problems` are (line, text) pairs."""

    key = "error.import_rejected"

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__(self.key, count=len(problems))

    def message(self, lang: str = "en") -> str:
        head = translate(self.key, lang, count=len(self.problems))
        return head + "\n" + "\n".join(f"line {line}: {text}" for line, text in self.problems)
