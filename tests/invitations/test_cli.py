"""``consult invite SLUG --csv FILE [--send] [-o FILE]`` and ``--remind``.

Bad input prints one line and exits with status 2, with nothing written.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from consult.models import AuditEvent, Invitation, InvitationStatus
from consult.services import participation as p
from tests.invitations.conftest import CLEAN, SLUG, csv_bytes
from tests.invitations.test_csv import BROKEN
from tests.services.helpers import NOW

pytestmark = pytest.mark.db

LINK = re.compile(r"http://127\.0\.0\.1:5000/i/([A-Za-z0-9_-]{43})")


@pytest.fixture
def demo(action_plan, session):
    session.commit()
    return action_plan


@pytest.fixture
def mail_config(app, smtp):
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER="consult@example.org",
        MAIL_TIMEOUT=5,
    )
    return smtp


def count(session, model=Invitation) -> int:
    session.rollback()  # see what the command committed, nothing else
    return session.scalar(select(func.count(model.id)))


def write(tmp_path, data: bytes, name: str = "people.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_list_with_errors_imports_nothing(runner, session, demo, tmp_path):
    out = tmp_path / "links.csv"
    result = runner.invoke(
        args=["invite", SLUG, "--csv", str(write(tmp_path, BROKEN)), "-o", str(out)]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "people.csv: line 3: unknown stakeholder group 'astronaut' (use one of: "
        "district_municipality, national_ngo, international_ngo, donor, academic, "
        "self_organization, public_institution)",
        "people.csv: line 4: 'demir(at)example.org' is not a valid e-mail address: "
        "An email address must have an @-sign",
        "people.csv: line 5: AYSE@example.org appears already on line 2",
        "Error: 3 error(s) in people.csv: nothing was imported",
    ]
    assert result.stdout == ""
    assert count(session) == 0
    assert count(session, AuditEvent) == 0
    assert not out.exists()


def test_a_clean_list_writes_the_links_file(runner, session, demo, tmp_path):
    out = tmp_path / "links.csv"
    result = runner.invoke(
        args=["invite", SLUG, "--csv", str(write(tmp_path, CLEAN)), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Created 3 invitation(s) to {SLUG}.",
        f"Personal links written to {out} (they cannot be shown again).",
    ]
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))
    assert [r["email"] for r in rows] == [
        "ayse@example.org",
        "john@example.org",
        "nour@example.org",
    ]
    assert count(session) == 3
    for row in rows:
        (token,) = LINK.findall(row["link"])
        access = p.access_by_invitation(session, token, row["language"], NOW)
        assert access.invitation.email == row["email"]
    assert not list(tmp_path.glob(".*.part"))


def test_without_output_the_links_are_printed(runner, session, demo, tmp_path):
    data = csv_bytes('Evil,"=HYPERLINK(""http://x"",""y"")",evil@example.org,donor,en,')
    result = runner.invoke(args=["invite", SLUG, "--csv", str(write(tmp_path, data))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "people.csv: line 2: the contact starts with '=': kept as text, never as a formula"
    )
    assert lines[1] == f"Created 1 invitation(s) to {SLUG}."
    assert lines[2].startswith("  evil@example.org  http://127.0.0.1:5000/i/")
    (token,) = LINK.findall(lines[2])
    assert p.access_by_invitation(session, token, "en", NOW).invitation.name.startswith("=")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invite", "no-such-slug", "--csv", "{csv}"], "Error: no consultation with the slug"),
        (["invite", SLUG, "--csv", "{tmp}/missing.csv"], "Error: no such file: "),
        (["invite", SLUG, "--csv", "{empty}"], "Error: "),
        (["invite", SLUG], "Error: give either --csv FILE (new invitations) or --remind"),
        (["invite", SLUG, "--csv", "{csv}", "--remind"], "Error: give either --csv FILE"),
        (["invite", SLUG, "--csv", "{csv}", "--send"], "Error: e-mail is not configured: "),
        (["invite", SLUG, "--remind"], "Error: e-mail is not configured: "),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, session, demo, tmp_path, args, message):
    paths = {
        "csv": write(tmp_path, CLEAN),
        "empty": write(tmp_path, b"", "empty.csv"),
        "tmp": tmp_path,
    }
    result = runner.invoke(args=[a.format(**paths) for a in args])
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1, result.output
    assert result.output.startswith(message)
    assert count(session) == 0


def test_send_and_remind_through_a_real_smtp_server(runner, session, demo, mail_config, tmp_path):
    smtp = mail_config
    smtp.handler.refuse.add("john@example.org")
    out = tmp_path / "links.csv"
    result = runner.invoke(
        args=["invite", SLUG, "--csv", str(write(tmp_path, CLEAN)), "--send", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2:] == [
        "Sent 2 e-mail(s); bounced 1, failed 0.",
        "  - not sent to john@example.org: 550 5.1.1 <john@example.org>: mailbox unavailable",
    ]
    arabic = smtp.handler.to("nour@example.org")
    (token,) = LINK.findall(arabic.body())
    assert token in out.read_text("utf-8-sig")
    session.rollback()
    status = dict(session.execute(select(Invitation.email, Invitation.status)).all())
    assert status["john@example.org"] == InvitationStatus.BOUNCED
    assert status["nour@example.org"] == InvitationStatus.SENT

    smtp.handler.received.clear()
    reminded = tmp_path / "reminded.csv"
    result = runner.invoke(args=["invite", SLUG, "--remind", "-o", str(reminded)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "Reminded 2 invitation(s) with new links; bounced 0, failed 0."
    )
    assert sorted(r for m in smtp.handler.received for r in m.recipients) == [
        "ayse@example.org",
        "nour@example.org",
    ]
    (new_token,) = LINK.findall(smtp.handler.to("nour@example.org").body())
    assert new_token in reminded.read_text("utf-8-sig")
    session.rollback()
    with pytest.raises(p.NotFound):
        p.access_by_invitation(session, token, "ar", NOW)
    assert p.access_by_invitation(session, new_token, "ar", NOW).invitation.email == (
        "nour@example.org"
    )
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["invitation.create", "invitation.send", "invitation.remind"]


def test_an_unreachable_server_keeps_the_invitations(runner, session, demo, app, tmp_path):
    from tests.invitations.conftest import free_port

    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_DEFAULT_SENDER="c@example.org"
    )
    out = tmp_path / "links.csv"
    result = runner.invoke(
        args=["invite", SLUG, "--csv", str(write(tmp_path, CLEAN)), "--send", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: created 3 invitation(s), but no e-mail was sent: cannot use the mail server"
    )
    assert count(session) == 3  # the links file still gives everyone their link
    assert out.exists()
