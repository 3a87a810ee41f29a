"""Fixtures for invitations: the demo consultation, CSV lists and a real local SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from consult.models import Consultation
from consult.services.demo import load_demo
from consult.services.mail import Mailer, MailSettings

SLUG = "migration-action-plan"
HEADER = "organisation,contact,email,stakeholder group,language,district"


def csv_bytes(*lines: str, header: str = HEADER, bom: bool = False) -> bytes:
    """A CSV file as a spreadsheet program saves it: CRLF line ends, optional BOM."""
    text = "\r\n".join([header, *lines]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


CLEAN = csv_bytes(
    "Göç Derneği,Ayşe Yılmaz,ayse@example.org,national_ngo,tr,fatih",
    "UNHCR Istanbul,John Smith,john@example.org,International NGO,en,",
    "Sham Community,نور الهدى,nour@example.org,منظمة ذاتية (يقودها لاجئون أو مهاجرون),ar,esenyurt",
)


@pytest.fixture
def action_plan(session) -> Consultation:
    """The open demo consultation with its 7 stakeholder groups, without responses."""
    load_demo(session, responses=0)
    return session.scalar(select(Consultation).where(Consultation.slug == SLUG))


@dataclass
class Received:
    """One message the server accepted."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None
        return part.get_content()


@dataclass
class Collector:
    """An aiosmtpd handler that keeps what it receives and refuses chosen recipients."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> Received:
        (found,) = [r for r in self.received if address in r.recipients]
        return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    handler: Collector


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), collecting every message."""
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.port, handler)
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(smtp: SmtpServer) -> MailSettings:
    return MailSettings(
        server="127.0.0.1", port=smtp.port, sender="Consult <consult@example.org>", timeout=5
    )


@pytest.fixture
def mailer(mail_settings: MailSettings) -> Iterator[Mailer]:
    with Mailer(mail_settings) as m:
        yield m
