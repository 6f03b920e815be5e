"""How paperfeed logs: the one place the root logger is set up (`configure_logging`, called by the
entry points: the CLI and each web worker), the two formats, and what a logged URL may show.

`PAPERFEED_LOG_FORMAT=text` (the default) writes lines for people; `json` writes one JSON object per
line for log collectors (journald, Loki, CloudWatch...): time, level, logger, message, and any fields a
caller passed with `extra=` (the request log's method, path, status, duration_ms and request_id).

JSON is formatted here rather than by python-json-logger or structlog: the whole formatter is the
twenty lines below over orjson, which the project already ships, and the fields stay ours to choose.

Nothing here writes secrets: a request's headers are never logged, and `loggable_target` hides the
values of token-like query parameters (confirmation and unsubscribe links carry tokens in the query).
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import time
from collections.abc import Mapping
from urllib.parse import unquote_plus

import orjson

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
# A query parameter whose name contains one of these has its value hidden: tokens, API keys,
# secrets, passwords, signatures, session ids, one-time codes. Hiding one harmless value too many
# costs nothing; logging one token is a leak.
_SENSITIVE_NAME = re.compile(r"token|key|secret|pass|pwd|auth|sig|session|credential|otp|code", re.IGNORECASE)
_UNPRINTABLE = re.compile(r"[\x00-\x20\x7f-\xff]")
# Attributes every LogRecord has; whatever else a record carries came from `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger, message, the
    record's `extra` fields, and the traceback as `exc_info` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((name, value) for name, value in vars(record).items() if name not in _RECORD_FIELDS)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


def text_formatter() -> logging.Formatter:
    formatter = logging.Formatter(TEXT_FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    return formatter


def hold_records(level: int = logging.WARNING) -> logging.handlers.MemoryHandler:
    """Keep what is logged from now on (at `level` and up) until configure_logging(held=...) knows the
    format: an entry point reads its settings first, and reading them may log (a short secret key)."""
    held = logging.handlers.MemoryHandler(capacity=10_000, flushLevel=logging.CRITICAL + 1)  # never by itself
    root = logging.getLogger()
    root.handlers[:] = [held]
    root.setLevel(level)
    return held


def configure_logging(
    log_format: str = "text", *, level: int = logging.WARNING, levels: Mapping[str, int] | None = None,
    text_handler: logging.Handler | None = None, held: logging.handlers.MemoryHandler | None = None,
) -> logging.Handler:
    """Send every log record to stderr in `log_format`, replacing whatever was set up before. `level` is
    the root's; `levels` sets named loggers (a server logs paperfeed's INFO lines, not every library's).
    `text_handler` replaces the plain text handler (the CLI's terminal handler); the records `held` since
    hold_records are written first. Returns the handler."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    if log_format == "json":
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif text_handler is not None:
        handler = text_handler
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(text_formatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, named_level in (levels or {}).items():
        logging.getLogger(name).setLevel(named_level)
    if held is not None:
        held.setTarget(handler)
        held.close()  # writes what it holds to the handler, then lets go of it
    return handler


def redact_query(query: str) -> str:
    """The query string with the value of every token-like parameter replaced by [redacted]."""
    parts = []
    for part in query.split("&"):
        name, equals, _value = part.partition("=")
        parts.append(f"{name}={REDACTED}" if equals and _SENSITIVE_NAME.search(unquote_plus(name)) else part)
    return "&".join(parts)


# Paths whose last segment is a secret (a private feed's token): logged with it hidden.
SECRET_PATH_PREFIXES = ("/feeds/for-you/",)


def redact_path(path: str) -> str:
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            return prefix + REDACTED
    return path


def loggable_target(raw_path: bytes, query_string: bytes) -> str:
    """The request target as it may appear in a log: the path as sent (still percent-encoded, so an
    encoded newline cannot start a forged line) with a secret segment hidden, the query with
    token-like values hidden."""
    target = _escape(redact_path(raw_path.decode("latin-1")))
    query = query_string.decode("latin-1")
    return f"{target}?{_escape(redact_query(query))}" if query else target


def _escape(text: str) -> str:
    return _UNPRINTABLE.sub(lambda match: f"%{ord(match.group()):02X}", text)
