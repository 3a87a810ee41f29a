"""Reading an invitation list (row-numbered errors, all or nothing) and writing the links CSV."""

from __future__ import annotations

import base64
import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from consult.models import AuditEvent, Invitation, InvitationStatus
from consult.services import invitation_csv
from consult.services.errors import Conflict, NotFound
from consult.services.invitation_csv import neutralise
from consult.services.invitations import (
    InvalidInvitationList,
    create_invitations,
    invitation_links_csv,
    parse_invitation_csv,
)
from consult.services.participation import access_by_invitation
from consult.services.tokens import hash_token
from tests.invitations.conftest import CLEAN, csv_bytes
from tests.services.helpers import NOW

pytestmark = pytest.mark.db

BROKEN = csv_bytes(
    "Göç Derneği,Ayşe Yılmaz,ayse@example.org,national_ngo,tr,fatih",  # 2: fine
    "Space Agency,Yuri,yuri@example.org,astronaut,en,",  # 3: unknown group
    "Bilgi University,Prof. Demir,demir(at)example.org,academic,tr,",  # 4: bad e-mail
    "Another NGO,Ayşe Y.,AYSE@example.org,national_ngo,tr,",  # 5: duplicate of line 2
    ",,,,,",  # 6: empty line
    'Evil Corp,"=HYPERLINK(""http://x"",""y"")",evil@example.org,donor,en,',  # 7: formula
)


def count(session, model=Invitation) -> int:
    return session.scalar(select(func.count(model.id)))


def test_broken_rows_give_row_numbered_errors_and_nothing_is_imported(session, action_plan):
    preview = parse_invitation_csv(action_plan, BROKEN)
    assert not preview.ok
    assert [(e.line, e.code) for e in preview.errors] == [
        (3, "unknown_group"),
        (4, "bad_email"),
        (5, "duplicate_email"),
    ]
    assert str(preview.errors[0]).startswith("line 3: unknown stakeholder group 'astronaut'")
    assert str(preview.errors[2]) == "line 5: AYSE@example.org appears already on line 2"
    assert [str(n) for n in preview.notes] == ["line 6: empty line skipped"]
    (warning,) = preview.warnings
    assert str(warning) == "line 7: the contact starts with '=': kept as text, never as a formula"
    # the formula is a valid name, kept as text, never interpreted
    evil = next(r for r in preview.rows if r.line == 7)
    assert evil.name == '=HYPERLINK("http://x","y")'
    with pytest.raises(InvalidInvitationList) as info:
        create_invitations(session, action_plan, preview, None)
    assert info.value.message == "3 error(s) in the invitation list: nothing was imported"
    assert count(session) == 0
    assert count(session, AuditEvent) == 0


def test_a_clean_list_with_bom_and_semicolons_imports(session, action_plan):
    data = CLEAN.decode("utf-8").replace(",", ";").encode("utf-8")
    preview = parse_invitation_csv(action_plan, b"\xef\xbb\xbf" + data)
    assert preview.ok, [str(e) for e in preview.errors]
    assert not preview.warnings
    issued = create_invitations(session, action_plan, preview, None)
    assert len(issued) == 3
    by_email = {i.email: i for i, _token in issued}
    ayse = by_email["ayse@example.org"]
    assert (ayse.organisation, ayse.name, ayse.language, ayse.district) == (
        "Göç Derneği",
        "Ayşe Yılmaz",
        "tr",
        "fatih",
    )
    assert ayse.stakeholder_group.code == "national_ngo"
    assert ayse.status == InvitationStatus.PENDING
    # a group named in English (ASCII case ignored) and in Arabic
    assert by_email["john@example.org"].stakeholder_group.code == "international_ngo"
    assert by_email["john@example.org"].district is None
    assert by_email["nour@example.org"].stakeholder_group.code == "self_organization"
    (event,) = session.scalars(select(AuditEvent)).all()
    assert event.action == "invitation.create"
    assert event.details["count"] == 3
    assert not any(token in str(event.details) for _i, token in issued)


def test_group_names_ignore_ascii_case_only_and_language_defaults(session, action_plan):
    preview = parse_invitation_csv(
        action_plan,
        csv_bytes(
            "A,a,a@example.org,ACADEMIC,,",  # code, ASCII case ignored; default language
            "B,b,b@example.org,İlçe Belediyesi,EN,",  # Turkish name; ASCII B ignored
            "C,c,c@example.org,ilçe belediyesi,tr,",  # i ≠ İ: Turkish is never case-folded
            "D,d,d@example.org,academic,fr,",  # not a consultation language
            "E,e,e@example.org,,tr,",  # no group
        ),
    )
    assert [(e.line, e.code) for e in preview.errors] == [
        (4, "unknown_group"),
        (5, "unknown_language"),
        (6, "missing_group"),
    ]
    a, b = preview.rows
    assert (a.group_code, a.language) == ("academic", "tr")  # the consultation's default
    assert (b.group_code, b.language) == ("district_municipality", "en")


def test_file_level_problems(session, action_plan, monkeypatch):
    def errors(data: bytes) -> list[str]:
        preview = parse_invitation_csv(action_plan, data)
        assert not preview.rows or preview.errors
        return [str(e) for e in preview.errors]

    assert errors(csv_bytes("A,a,a@example.org", header="organisation,contact,email")) == [
        "line 1: missing column(s): stakeholder group"
    ]
    assert errors(b"") == ["the file has no header line"]
    assert errors(
        "organisation,contact,email,group\r\nİ,ı,x@example.org,academic\r\n".encode("cp1254")
    ) == ["line 2: the file is not UTF-8 text (save it as “CSV UTF-8”)"]
    assert errors(b"x" * (invitation_csv.MAX_CSV_BYTES + 1)) == ["the file is larger than 2 MB"]
    monkeypatch.setattr(invitation_csv, "MAX_ROWS", 2)
    rows = [f"O,n,n{i}@example.org,academic,tr," for i in range(3)]
    assert errors(csv_bytes(*rows)) == ["line 4: more than 2 invitations in one file"]


def test_line_numbers_are_physical_lines(session, action_plan):
    preview = parse_invitation_csv(
        action_plan,
        csv_bytes(
            '"Two-line\r\norganisation",a,a@example.org,academic,tr,',  # lines 2–3
            "",  # line 4
            "B,b,b@example.org,nobody,tr,",  # line 5
            "C,c,c@example.org,academic,tr,,surplus",  # line 6
        ),
    )
    assert [(e.line, e.code) for e in preview.errors] == [
        (2, "line_break"),
        (5, "unknown_group"),
        (6, "extra_cells"),
    ]
    assert [n.line for n in preview.notes] == [4]


def test_addresses_already_invited_are_duplicates_unless_revoked(session, action_plan):
    create_invitations(session, action_plan, parse_invitation_csv(action_plan, CLEAN), None)
    preview = parse_invitation_csv(action_plan, CLEAN)
    assert [(e.line, e.code) for e in preview.errors] == [
        (2, "already_invited"),
        (3, "already_invited"),
        (4, "already_invited"),
    ]
    # a preview checked before a concurrent import is refused at creation
    other = parse_invitation_csv(action_plan, csv_bytes("X,x,x@example.org,academic,tr,"))
    create_invitations(session, action_plan, other, None)
    with pytest.raises(Conflict):
        create_invitations(session, action_plan, other, None)


def test_tokens_are_256_bits_and_only_their_hash_is_stored(session, action_plan):
    issued = create_invitations(
        session, action_plan, parse_invitation_csv(action_plan, CLEAN), None
    )
    session.commit()
    for invitation, token in issued:
        assert len(base64.urlsafe_b64decode(token + "=")) * 8 == 256
        assert invitation.token_hash == hash_token(token) != token
    rows = session.execute(sa.text("SELECT * FROM invitations")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert len(rows) == 3
    for _invitation, token in issued:
        assert token not in stored
    assert len({token for _i, token in issued}) == 3


def test_links_csv_has_a_bom_neutralised_cells_and_working_links(session, action_plan):
    data = csv_bytes(
        'Evil Corp,"=HYPERLINK(""http://x"",""y"")",evil@example.org,donor,en,',
        "+90 212,@SUM(A1),plus@example.org,academic,ar,-1+2",
        "Plain,Jane,jane@example.org,academic,en,",
    )
    preview = parse_invitation_csv(action_plan, data)
    assert preview.ok
    assert len(preview.warnings) == 4
    issued = create_invitations(session, action_plan, preview, None)
    links = invitation_links_csv(issued, "https://consult.example.org/")
    assert links.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(links[3:].decode("utf-8"))))
    assert rows[0] == [
        "organisation",
        "contact",
        "email",
        "stakeholder group",
        "language",
        "district",
        "link",
    ]
    assert rows[1][:4] == ["Evil Corp", '\'=HYPERLINK("http://x","y")', "evil@example.org", "donor"]
    assert rows[2][:2] == ["'+90 212", "'@SUM(A1)"]
    assert rows[2][5] == "'-1+2"
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert row[6].startswith("https://consult.example.org/i/")
    # each link opens the survey
    for (invitation, _token), row in zip(issued, rows[1:], strict=True):
        token = row[6].rsplit("/", 1)[1]
        access = access_by_invitation(session, token, invitation.language, NOW)
        assert access.invitation is invitation
        assert access.response.stakeholder_group_id == invitation.stakeholder_group_id


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_dangerous_start_is_neutralised(start):
    assert neutralise(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"
    assert neutralise(f"safe {start}") == f"safe {start}"


def test_hostile_values_written_directly_are_neutralised(session, action_plan):
    invitation = Invitation(
        consultation=action_plan,
        token_hash="x" * 64,
        organisation="\t=1+1",
        name="\r@cmd",
        email="a@example.org",
        language="tr",
        district="-2",
    )
    links = invitation_links_csv([(invitation, "tok")], "http://127.0.0.1:5000")
    row = list(csv.reader(io.StringIO(links[3:].decode("utf-8"))))[1]
    assert row[0] == "'\t=1+1"
    assert row[1] == "'\r@cmd"
    assert row[5] == "'-2"
    assert row[6] == "http://127.0.0.1:5000/i/tok"


def test_an_unknown_token_opens_nothing(session, action_plan):
    with pytest.raises(NotFound):
        access_by_invitation(session, "x" * 43, "en", NOW)
