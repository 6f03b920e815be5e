"""SMTP: the only code in paperfeed that talks to a mail server (smtplib; settings from PAPERFEED_SMTP_*).

One connection is kept open and reused for many messages. Failures are sorted three ways:
- temporary (a 4xx reply, a dropped or refused connection, a timeout): reconnect and retry with
  backoff (PAPERFEED_DIGEST_SEND_RETRIES, PAPERFEED_DIGEST_RETRY_DELAY_S doubling), then TemporaryFailure;
- permanent for this address (a 5xx reply to RCPT or DATA): PermanentFailure at once, no retry;
- a setup problem no retry can fix (login refused, sender refused, no TLS, no server configured):
  MailSetupError, and the batch stops.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import parseaddr

from paperfeed.config import Settings
from paperfeed.digest.message import sender_address
from paperfeed.errors import InvalidInput, SourceError

log = logging.getLogger(__name__)


class TemporaryFailure(SourceError):
    """The server did not take the message now; later may work."""


class PermanentFailure(InvalidInput):
    """The server refused the address or the message for good (5xx)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class MailSetupError(SourceError):
    """Sending cannot work until the settings are fixed."""


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}"


def classify(exc: Exception) -> tuple[str, str]:
    """('temporary' | 'permanent' | 'setup', description) for an exception raised while sending one message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return ("permanent" if code >= 500 else "temporary"), f"recipient refused: {_reply(code, text)}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        kind = "setup" if exc.smtp_code >= 500 else "temporary"
        return kind, f"sender refused: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "setup", f"SMTP login refused: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "permanent", f"the server cannot deliver this message: {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):  # DATA refused, a 421 closing, ...
        kind = "permanent" if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPConnectError) else "temporary"
        return kind, _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "setup", f"the SMTP server's TLS certificate is not trusted: {exc.verify_message}"
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
        return "temporary", f"connection problem: {exc or type(exc).__name__}"
    if isinstance(exc, smtplib.SMTPException):
        return "temporary", str(exc)
    raise exc


class Mailer:
    """Sends messages through the configured server, reusing one connection. Use as a context manager."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if not settings.smtp_host:
            raise MailSetupError("PAPERFEED_SMTP_HOST is not set: there is no mail server to send through")
        self.settings = settings
        self.envelope_from = sender_address(settings)
        self._sleep = sleep
        self._ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        timeout = s.smtp_timeout_s
        if s.smtp_security == "tls":
            connection = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=timeout, context=self._context())
        else:
            connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
        try:
            if s.smtp_security == "starttls":
                connection.ehlo()
                if not connection.has_extn("starttls"):
                    raise MailSetupError(f"{s.smtp_host}:{s.smtp_port} does not offer STARTTLS: "
                                         "set PAPERFEED_SMTP_SECURITY=tls or none")
                connection.starttls(context=self._context())
                connection.ehlo()
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                connection.login(s.smtp_username, password)
        except BaseException:
            self._quietly_close(connection)
            raise
        return connection

    @staticmethod
    def _quietly_close(connection: smtplib.SMTP) -> None:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def close(self) -> None:
        if self._connection is not None:
            self._quietly_close(self._connection)
            self._connection = None

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server, retrying temporary failures; returns once the server took it."""
        recipient = parseaddr(str(message["To"]))[1]
        retries = self.settings.digest_send_retries
        for attempt in range(retries + 1):
            try:
                if self._connection is None:
                    self._connection = self._connect()
                self._connection.send_message(message, from_addr=self.envelope_from, to_addrs=[recipient])
                return
            except MailSetupError:
                raise
            except Exception as exc:  # noqa: BLE001  (sorted by classify(); anything it does not know is re-raised)
                kind, description = classify(exc)
            if kind == "setup":
                self._drop()
                raise MailSetupError(description)
            if kind == "permanent":
                raise PermanentFailure(f"{recipient}: {description}")
            self._drop()  # a 4xx or a broken connection: start the next try on a fresh connection
            if attempt == retries:
                raise TemporaryFailure(f"{recipient}: {description} (after {retries + 1} tries)")
            delay = self.settings.digest_retry_delay_s * 2 ** attempt
            log.info("temporary failure for %s (%s); retry %d in %.1f s", recipient, description, attempt + 1, delay)
            self._sleep(delay)
