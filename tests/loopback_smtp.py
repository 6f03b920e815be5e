"""A real SMTP server on loopback for the digest tests (aiosmtpd in a thread), with scripted replies.

Every accepted message is kept (parsed) and appended to a JSON-lines file, flushed and fsynced before
the server says 250, so a count read from the file is the number of messages the server accepted.
Replies can be scripted: a fixed reply to RCPT for some addresses (a 550 "no such user"), a queue of
replies to DATA (a 451, then the default 250), or a hook that runs before each acceptance (the
exactly-once test uses it to SIGKILL the sender at a chosen message).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.mailbox.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return self.mailbox._receive(envelope)


class Mailbox:
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.rcpt_replies: dict[str, str] = {}  # address -> reply, e.g. "550 5.1.1 no such user"
        self.data_replies: list[str] = []  # replies to DATA used up in order before the default 250
        self.before_accept: Callable[[int], str | None] | None = None  # called with the count accepted so far
        self.after_accept: Callable[[int], None] | None = None  # called once a message is stored, before the 250
        self.refused = 0  # DATA replies other than 250
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Mailbox:
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()

    def settings(self) -> dict[str, str]:
        """PAPERFEED_* variables that point paperfeed at this server."""
        return {"PAPERFEED_SMTP_HOST": "127.0.0.1", "PAPERFEED_SMTP_PORT": str(self.port),
                "PAPERFEED_SMTP_SECURITY": "none"}

    def _receive(self, envelope) -> str:
        with self._lock:
            if self.before_accept is not None:
                reply = self.before_accept(len(self.messages))
                if reply:
                    self.refused += 1
                    return reply
            if self.data_replies:
                self.refused += 1
                return self.data_replies.pop(0)
            message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            with self.log_path.open("a") as log:
                for recipient in envelope.rcpt_tos:
                    log.write(json.dumps({"to": recipient, "message_id": message["Message-ID"]}) + "\n")
                log.flush()
                os.fsync(log.fileno())
            self.messages.append(message)
            if self.after_accept is not None:
                self.after_accept(len(self.messages))
            return "250 OK: queued"

    def received(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]

    def counts(self) -> Counter:
        """Messages accepted per recipient, from the persisted log."""
        return Counter(entry["to"] for entry in self.received())

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"].addresses[0].addr_spec.lower() == address.lower()]
