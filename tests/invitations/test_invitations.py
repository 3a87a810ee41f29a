"""Revoking, choosing whom to remind, and e-mail through a real local SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.models import AuditEvent, InvitationStatus
from consult.services import participation as p
from consult.services.errors import InvalidState, NotFound
from consult.services.invitations import (
    create_invitations,
    parse_invitation_csv,
    pending_reminders,
    revoke_invitation,
    send_invitations,
    send_reminders,
)
from consult.services.mail import Mailer, MailSettings
from tests.invitations.conftest import CLEAN, csv_bytes, free_port
from tests.services.helpers import NOW, complete

pytestmark = pytest.mark.db

BASE = "https://consult.example.org"
LINK = re.compile(r"https://consult\.example\.org/i/([A-Za-z0-9_-]{43})")


def invite(session, consultation, data=CLEAN):
    return create_invitations(session, consultation, parse_invitation_csv(consultation, data), None)


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def submit(session, token):
    access = p.access_by_invitation(session, token, "en", NOW)
    survey = p.build_survey(session, access.round, "en")
    complete(session, access, survey)
    p.submit_response(session, access, survey, NOW)


def test_revoking_makes_the_link_invalid(session, action_plan):
    (invitation, token), *_ = invite(session, action_plan)
    assert p.access_by_invitation(session, token, "tr", NOW).invitation is invitation
    revoke_invitation(session, invitation, None)
    assert invitation.status == InvitationStatus.REVOKED
    with pytest.raises(NotFound):
        p.access_by_invitation(session, token, "tr", NOW)
    with pytest.raises(InvalidState):
        revoke_invitation(session, invitation, None)
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.object_type, event.object_id) == (
        "invitation.revoke",
        "invitation",
        invitation.id,
    )
    assert event.details == {"previous_status": "opened"}
    # a revoked address may be invited again
    again = parse_invitation_csv(action_plan, CLEAN)
    assert [e.line for e in again.errors] == [3, 4]


def test_reminders_go_only_to_those_who_have_not_submitted(session, action_plan):
    issued = invite(
        session,
        action_plan,
        csv_bytes(*(f"Org {n},{n},{n}@example.org,academic,en," for n in "abcdef")),
    )
    inv = {i.email[0]: (i, t) for i, t in issued}
    submit(session, inv["a"][1])  # answered
    p.access_by_invitation(session, inv["b"][1], "en", NOW)  # opened, not submitted
    revoke_invitation(session, inv["c"][0], None)
    inv["d"][0].status = InvitationStatus.BOUNCED
    inv["e"][0].email = None  # nobody to write to
    assert inv["a"][0].status == InvitationStatus.SUBMITTED
    assert [i.email for i in pending_reminders(session, action_plan)] == [
        "b@example.org",
        "f@example.org",
    ]


def test_invitations_are_sent_in_each_language(session, action_plan, smtp, mailer):
    issued = invite(session, action_plan)
    report = send_invitations(session, action_plan, issued, mailer, BASE, None, NOW)
    assert (report.sent, report.bounced, report.failed) == (3, 0, 0)
    assert sorted(r for m in smtp.handler.received for r in m.recipients) == [
        "ayse@example.org",
        "john@example.org",
        "nour@example.org",
    ]
    tokens = {i.email: t for i, t in issued}
    arabic = smtp.handler.to("nour@example.org")
    assert arabic.sender == "consult@example.org"
    assert arabic.message["Subject"].startswith("دعوة: ")
    assert arabic.message["Content-Language"] == "ar"
    body = arabic.body()
    assert "نور الهدى" in body
    assert "رابطك الشخصي" in body
    assert f"{BASE}/i/{tokens['nour@example.org']}" in body
    html = arabic.body("html")
    assert '<html lang="ar" dir="rtl">' in html
    assert f'href="{BASE}/i/{tokens["nour@example.org"]}"' in html
    turkish = smtp.handler.to("ayse@example.org")
    assert turkish.message["Subject"].startswith("Davet: ")
    assert "Sayın Ayşe Yılmaz," in turkish.body()
    english = smtp.handler.to("john@example.org")
    assert english.message["Subject"].startswith("Invitation: ")
    assert "Your personal link:" in english.body()
    for invitation, token in issued:
        assert invitation.status == InvitationStatus.SENT
        assert invitation.sent_at == NOW
        # the e-mailed link opens the survey
        (mailed,) = LINK.findall(smtp.handler.to(invitation.email).body())
        assert mailed == token
        assert p.access_by_invitation(session, mailed, "ar", NOW).invitation is invitation
    assert actions(session) == ["invitation.create", "invitation.send"]
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.details == {"sent": 3, "bounced": 0, "failed": 0, "skipped": 0}


def test_a_refused_recipient_is_bounced_and_the_others_are_sent(session, action_plan, smtp, mailer):
    smtp.handler.refuse.add("john@example.org")
    issued = invite(session, action_plan)
    report = send_invitations(session, action_plan, issued, mailer, BASE, None, NOW)
    assert (report.sent, report.bounced, report.failed) == (2, 1, 0)
    assert report.problems[0][0] == "john@example.org"
    assert report.problems[0][1].startswith("550 5.1.1")
    status = {i.email: i.status for i, _t in issued}
    assert status == {
        "ayse@example.org": InvitationStatus.SENT,
        "john@example.org": InvitationStatus.BOUNCED,
        "nour@example.org": InvitationStatus.SENT,
    }
    assert sorted(r for m in smtp.handler.received for r in m.recipients) == [
        "ayse@example.org",
        "nour@example.org",
    ]


def test_reminders_rotate_the_token_and_skip_submitters(session, action_plan, smtp, mailer):
    issued = invite(session, action_plan)
    send_invitations(session, action_plan, issued, mailer, BASE, None, NOW)
    old = {i.email: t for i, t in issued}
    submit(session, old["john@example.org"])
    # nour started in the first link: the new link resumes the same response
    started = p.access_by_invitation(session, old["nour@example.org"], "ar", NOW).response
    smtp.handler.received.clear()
    later = NOW + timedelta(days=3)
    report = send_reminders(session, action_plan, mailer, BASE, None, later)
    assert (report.sent, report.bounced, report.failed) == (2, 0, 0)
    assert sorted(r for m in smtp.handler.received for r in m.recipients) == [
        "ayse@example.org",
        "nour@example.org",
    ]
    reminder = smtp.handler.to("nour@example.org")
    assert reminder.message["Subject"].startswith("تذكير: ")
    (new_token,) = LINK.findall(reminder.body())
    assert new_token != old["nour@example.org"]
    assert {i.email: t for i, t in report.issued}["nour@example.org"] == new_token
    with pytest.raises(NotFound):  # the earlier link stops working
        p.access_by_invitation(session, old["nour@example.org"], "ar", later)
    assert p.access_by_invitation(session, new_token, "ar", later).response is started
    by_email = {i.email: i for i, _t in issued}
    assert by_email["nour@example.org"].reminded_at == later
    assert by_email["john@example.org"].reminded_at is None
    assert actions(session)[-1] == "invitation.remind"
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.details["rotated"] == 2
    assert not any(t in str(event.details) for _i, t in report.issued)


def test_a_refused_reminder_keeps_the_earlier_link(session, action_plan, smtp, mailer):
    issued = invite(session, action_plan)
    smtp.handler.refuse.add("ayse@example.org")
    report = send_reminders(session, action_plan, mailer, BASE, None, NOW)
    assert (report.sent, report.bounced) == (2, 1)
    ayse, token = issued[0]
    assert ayse.status == InvitationStatus.BOUNCED
    assert ayse.reminded_at is None
    # bounced, but the link it had still works
    assert p.access_by_invitation(session, token, "tr", NOW).invitation is ayse


def test_reminders_need_an_open_consultation(session, action_plan, mailer):
    invite(session, action_plan)
    action_plan.closes_at = NOW - timedelta(days=1)
    with pytest.raises(InvalidState):
        send_reminders(session, action_plan, mailer, BASE, None, NOW)


def test_an_unreachable_server_fails_each_message_without_aborting(session, action_plan):
    issued = invite(session, action_plan)
    settings = MailSettings(server="127.0.0.1", port=free_port(), sender="c@example.org")
    with Mailer(settings) as mailer:
        report = send_invitations(session, action_plan, issued, mailer, BASE, None, NOW)
    assert (report.sent, report.bounced, report.failed) == (0, 0, 3)
    assert report.problems[0][1].startswith(f"cannot use the mail server 127.0.0.1:{settings.port}")
    assert all(i.status == InvitationStatus.PENDING and i.sent_at is None for i, _t in issued)


def test_starttls_that_the_server_does_not_offer_is_a_failure(session, action_plan, smtp):
    issued = invite(session, action_plan)
    settings = MailSettings(
        server="127.0.0.1", port=smtp.port, use_tls=True, sender="c@example.org", timeout=5
    )
    with Mailer(settings) as mailer:
        report = send_invitations(session, action_plan, issued, mailer, BASE, None, NOW)
    assert report.failed == 3
    assert "STARTTLS" in report.problems[0][1]
    assert smtp.handler.received == []


def test_mail_settings_come_from_the_config():
    with pytest.raises(InvalidState, match="MAIL_SERVER"):
        MailSettings.from_config({"MAIL_SERVER": None})
    with pytest.raises(InvalidState, match="MAIL_DEFAULT_SENDER"):
        MailSettings.from_config({"MAIL_SERVER": "smtp.example.org"})
    settings = MailSettings.from_config(
        {
            "MAIL_SERVER": "smtp.example.org",
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": True,
            "MAIL_DEFAULT_SENDER": ("İBB Göç", "goc@example.org"),
        }
    )
    assert (settings.port, settings.use_tls) == (587, True)
    assert settings.sender.endswith("<goc@example.org>")
