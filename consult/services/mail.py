"""Sending e-mail through the configured SMTP server, one message at a time.

``Mailer`` keeps one connection for a batch and reports each message's outcome instead of
raising: a refused recipient is ``refused`` (the caller marks the invitation bounced), any
other failure is ``failed``, and the batch goes on. When the server cannot be reached at all,
every remaining message fails at once rather than waiting out a timeout each.
"""

from __future__ import annotations

import enum
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from types import TracebackType
from typing import Any

from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup

from consult.services.errors import InvalidState


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send: the ``MAIL_*`` settings."""

    server: str
    port: int = 25
    use_tls: bool = False  # STARTTLS after connecting
    username: str | None = None
    password: str | None = None
    sender: str = ""
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        """The settings in ``config``; ``InvalidState`` when sending is not configured."""
        server = config.get("MAIL_SERVER")
        if not server:
            raise InvalidState("e-mail is not configured: set MAIL_SERVER (CONSULT_MAIL_SERVER)")
        sender = config.get("MAIL_DEFAULT_SENDER")
        if isinstance(sender, list | tuple):  # Flask-Mail also accepts (name, address)
            sender = str(Address(display_name=sender[0], addr_spec=sender[1]))
        if not sender:
            raise InvalidState(
                "e-mail is not configured: set MAIL_DEFAULT_SENDER (CONSULT_MAIL_DEFAULT_SENDER)"
            )
        return cls(
            server=str(server),
            port=int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            sender=str(sender),
            timeout=float(config.get("MAIL_TIMEOUT") or 30.0),
        )


@dataclass(frozen=True)
class Mail:
    """One message: recipient, subject, plain text and HTML bodies."""

    to: str
    subject: str
    text: str
    html: str
    to_name: str | None = None
    language: str | None = None


class Outcome(enum.StrEnum):
    """What became of one message."""

    SENT = "sent"
    REFUSED = "refused"  # the server refused the recipient: a bounce
    FAILED = "failed"  # anything else: nothing was delivered, nothing is known of the address


@dataclass(frozen=True)
class Result:
    """A message's outcome and, unless sent, the server's or the system's reason."""

    outcome: Outcome
    reason: str = ""


def render_mail(template: str, language: str, to: str, **context: Any) -> Mail:
    """Render ``mail/<template>_text.html`` and ``mail/<template>.html`` in ``language``.

    ``language`` is also given to the templates. The text template sets ``subject`` at its
    top level. Needs an application context; the
    interface strings come from the catalogs (a language without one gets the English msgids).
    """
    env = current_app.jinja_env
    context = {**context, "language": language}
    with force_locale(language):
        text_module = env.get_template(f"mail/{template}_text.html").make_module(context)
        html = env.get_template(f"mail/{template}.html").render(context)
        subject = getattr(text_module, "subject", "")
        if isinstance(subject, Markup):
            subject = subject.unescape()
        text = str(text_module).strip() + "\n"
    return Mail(
        to=to,
        subject=" ".join(str(subject).split()),
        text=text,
        html=html,
        to_name=context.get("name"),
        language=language,
    )


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: plain text with an HTML alternative."""
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    name = " ".join((mail.to_name or "").split())
    message["To"] = str(Address(display_name=name, addr_spec=mail.to)) if name else mail.to
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    if mail.language:  # after the bodies: set_content drops Content-* headers
        message["Content-Language"] = mail.language
    return message


class Mailer:
    """An SMTP connection for a batch: ``with Mailer(settings) as m: m.send(mail)``."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._broken: str | None = None  # why the server cannot be reached

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say goodbye to the server (quietly, if it has gone already)."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
        try:
            if s.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, mail: Mail) -> Result:
        """Send one message; never raises for a server's or the network's failure."""
        if self._broken is not None:
            return Result(Outcome.FAILED, self._broken)
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                s = self.settings
                self._broken = f"cannot use the mail server {s.server}:{s.port}: {_reason(exc)}"
                return Result(Outcome.FAILED, self._broken)
        try:
            message = build_message(mail, self.settings.sender)
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            return Result(Outcome.REFUSED, _reason(exc))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()  # try a new connection for the next message
            return Result(Outcome.FAILED, _reason(exc))
        except (smtplib.SMTPException, ValueError) as exc:
            return Result(Outcome.FAILED, _reason(exc))
        return Result(Outcome.SENT)


def _reason(exc: BaseException) -> str:
    """A one-line reason from an SMTP or socket error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = list(exc.recipients.values())
        if codes:
            code, reply = codes[0]
            return f"{code} {_decode(reply)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def _decode(value: bytes | str) -> str:
    text: str = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text.split())
