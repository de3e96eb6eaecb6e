"""Logging set-up: one logger per module (`logging.getLogger(__name__)`), level and format from the environment.

ROOMDESK_LOG_LEVEL (default INFO) sets the level of Room Desk's own loggers (`core.*`); ROOMDESK_LOG_FORMAT=json
writes one JSON object per line (for servers and log collectors), anything else readable text.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_HANDLER_NAME = "roomdesk"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, extra fields, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Send Room Desk's log records to standard error once (calling again only changes level and format)."""
    level = (level or os.environ.get("ROOMDESK_LOG_LEVEL") or "INFO").upper()
    fmt = (fmt or os.environ.get("ROOMDESK_LOG_FORMAT") or "text").lower()
    logger = logging.getLogger("core")
    handler = next((h for h in logger.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        logger.addHandler(handler)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logger.setLevel(getattr(logging, level, logging.INFO))
