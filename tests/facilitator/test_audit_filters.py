"""Audit log filters (service and page), and every page action recorded exactly once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import AuditEvent, User
from consult.services.audit import list_events, record
from tests.facilitator.conftest import FS_TUPLE_CHOICES, Staff, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

AUDIT = "/manage/audit"


def client_for(app: Flask, user: User | None) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, user)
    return client


@pytest.fixture
def log(staff: Staff) -> dict[str, int]:
    """A few events of several actors, actions, objects, consultations and days.

    Times are UTC; Istanbul is UTC+3, so 22:30 UTC on 4 March is already 5 March there.
    """
    db.session.commit()
    with db.engine.begin() as conn:  # start from an empty log (the fixtures made accounts)
        conn.execute(AuditEvent.__table__.delete())
    rows = [
        ("e1", staff.facilitator, "consultation.update", staff.a, datetime(2026, 3, 3, 9, 0)),
        ("e2", staff.facilitator, "consultation.open", staff.a, datetime(2026, 3, 4, 22, 30)),
        ("e3", staff.other_facilitator, "consultation.open", staff.b, datetime(2026, 3, 5, 8, 0)),
        ("e4", staff.admin, "user.create", staff.analyst, datetime(2026, 3, 6, 12, 0)),
        ("e5", staff.admin, "consultationx.open", staff.b, datetime(2026, 3, 6, 13, 0)),
        ("e6", None, "invitation_sent.bulk", staff.a, datetime(2026, 3, 7, 10, 0)),
    ]
    ids = {}
    for name, actor, action, obj, when in rows:
        event = AuditEvent(
            actor_id=actor.id if actor is not None else None,
            consultation_id=getattr(obj, "id", None) if obj in (staff.a, staff.b) else None,
            action=action,
            object_type="user" if isinstance(obj, User) else "consultation",
            object_id=obj.id,
            details={},
            occurred_at=when.replace(tzinfo=UTC),
        )
        db.session.add(event)
        db.session.flush()
        ids[name] = event.id
    db.session.commit()
    return ids


def names(log: dict[str, int], events) -> list[str]:  # type: ignore[no-untyped-def]
    by_id = {v: k for k, v in log.items()}
    return [by_id[e.id] for e in events]


def test_each_filter_returns_only_matching_events(staff: Staff, log: dict[str, int]) -> None:
    admin = staff.admin

    def found(**filters) -> list[str]:  # type: ignore[no-untyped-def]
        return names(log, list_events(db.session, admin, **filters))

    assert found() == ["e6", "e5", "e4", "e3", "e2", "e1"]
    assert found(actor_email="FAC-A@example.org ") == ["e2", "e1"]
    assert found(actor_email="nobody@example.org") == []
    assert found(action="consultation.open") == ["e3", "e2"]
    assert found(action="consultation") == ["e3", "e2", "e1"]  # not consultationx.*
    assert found(action="invitation_sent") == ["e6"]
    assert found(action="invitation.sent") == []  # "_" is not a wildcard
    assert found(object_type="user") == ["e4"]
    assert found(object_type="consultation") == ["e6", "e5", "e3", "e2", "e1"]
    assert found(consultation_slug="question-types") == ["e5", "e3"]
    since = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)  # 5 March 00:00 in Istanbul
    until = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
    assert found(since=since) == ["e6", "e5", "e4", "e3", "e2"]
    assert found(until=until) == ["e5", "e4", "e3", "e2", "e1"]
    assert found(since=since, until=until, action="consultation") == ["e3", "e2"]
    assert found(consultation_slug="migration-action-plan", actor_email="fac-a@example.org") == [
        "e2",
        "e1",
    ]
    # paging keeps the filters
    first = list_events(db.session, admin, limit=1, action="consultation")
    assert names(log, first) == ["e3"]
    rest = list_events(db.session, admin, before=first[-1].id, action="consultation")
    assert names(log, rest) == ["e2", "e1"]


def rows_shown(html: str) -> list[str]:
    """The action column of the audit table on the page."""
    if 'id="audit-events"' not in html:
        return []
    table = html.split('id="audit-events"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2] for row in rows]


def test_page_filters_by_every_field(app: Flask, staff: Staff, log: dict[str, int]) -> None:
    admin = client_for(app, staff.admin)

    def shown(query: str) -> list[str]:
        response = fetch(app, admin, "GET", f"{AUDIT}?lang=en&{query}")
        assert response.status_code == 200
        return rows_shown(response.get_data(as_text=True))

    assert shown("actor=fac-b%40example.org") == ["consultation.open"]
    assert shown("action=user.create") == ["user.create"]
    assert shown("object_type=user") == ["user.create"]
    assert shown("consultation=question-types") == ["consultationx.open", "consultation.open"]
    # days in Istanbul time, the last one included
    assert shown("date_from=2026-03-05&date_to=2026-03-05") == [
        "consultation.open",
        "consultation.open",
    ]
    assert shown("date_from=2026-03-06&action=consultation") == []
    html = fetch(app, admin, "GET", f"{AUDIT}?lang=en&date_from=2030-01-01").get_data(as_text=True)
    assert "No entry matches these filters." in html
    assert 'value="2030-01-01"' in html  # the filter stays in the form


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-45", "Not a valid date value."),
        ("date_to=yesterday", "Not a valid date value."),
        ("date_from=2026-03-06&date_to=2026-03-05", "The last day must not be before the first"),
        ("actor=not-an-address", "Enter an e-mail address such as name@example.org."),
        ("action=DROP%20TABLE", "Enter an action such as consultation.open"),
        ("object_type=a.b", "Enter an object type such as consultation or user."),
        ("consultation=Not%20A%20Slug", "Use 1 to 80 lowercase letters"),
        ("before=abc", "The page to show is not a valid entry number"),
        ("before=-5", "The page to show is not a valid entry number"),
    ],
)
def test_invalid_filters_give_a_page_with_the_reason(
    app: Flask, staff: Staff, log: dict[str, int], query: str, message: str
) -> None:
    response = fetch(app, client_for(app, staff.admin), "GET", f"{AUDIT}?lang=en&{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "These filters cannot be used" in html
    assert message in html
    assert "Correct the filters to see entries." in html
    assert rows_shown(html) == []


def test_older_entries_link_keeps_the_filters(app: Flask, staff: Staff) -> None:
    for i in range(55):
        record(db.session, staff.facilitator, f"consultation.step{i}", staff.a)
    record(db.session, staff.admin, "other.thing", staff.a)
    db.session.commit()
    admin = client_for(app, staff.admin)
    html = fetch(app, admin, "GET", f"{AUDIT}?lang=en&actor=fac-a%40example.org").get_data(
        as_text=True
    )
    shown = rows_shown(html)
    assert len(shown) == 50
    assert shown[0] == "consultation.step54"
    match = re.search(r'<a href="(/manage/audit\?[^"]+)">Older entries</a>', html)
    assert match is not None
    link = match.group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["actor"] == ["fac-a@example.org"]
    assert query["before"][0].isdigit()
    older = rows_shown(fetch(app, admin, "GET", link + "&lang=en").get_data(as_text=True))
    assert older[:5] == [
        "consultation.step4",
        "consultation.step3",
        "consultation.step2",
        "consultation.step1",
        "consultation.step0",
    ]
    assert "other.thing" not in older
    assert "user.create" not in older  # the fixture's accounts were created by nobody


def test_non_admins_cannot_read_or_probe_the_log(app: Flask, staff: Staff) -> None:
    for user in (staff.facilitator, staff.analyst):
        client = client_for(app, user)
        assert fetch(app, client, "GET", f"{AUDIT}?date_from=bad").status_code == 403


def test_every_page_action_is_in_the_audit_log_once(app: Flask, staff: Staff) -> None:
    """Create, edit, copy, add and remove a member, create, deactivate, reactivate an account."""
    start = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    admin = client_for(app, staff.admin)
    fac = client_for(app, staff.facilitator)
    new = {
        "slug": "audited",
        "languages": ["tr"],
        "default_language": "tr",
        "title_tr": "Denetlenen",
        "anonymity": "confidential",
        "min_group_size": "5",
    }
    assert fetch(app, fac, "POST", "/manage/consultations/new", data=new).status_code == 302
    base = "/manage/consultations/audited"
    edit = {**new, "version": "1", "title_tr": "Denetlenen 2"}
    del edit["slug"]
    assert fetch(app, fac, "POST", f"{base}/settings", data=edit).status_code == 302
    copy = {"slug": "audited-copy", "title_tr": "Kopya"}
    assert fetch(app, fac, "POST", f"{base}/copy", data=copy).status_code == 302
    member = {"email": "analyst@example.org", "role": "analyst"}
    assert fetch(app, fac, "POST", f"{base}/members", data=member).status_code == 302
    gone = {"user_id": str(staff.outside_analyst.id)}
    assert fetch(app, fac, "POST", f"{base}/members/remove", data=gone).status_code == 302
    account = {"email": "audited@example.org", "role": "analyst", "password": ""}
    assert fetch(app, admin, "POST", "/manage/accounts/new", data=account).status_code == 200
    new_id = db.session.scalar(select(User.id).where(User.email == "audited@example.org"))
    for step in ("deactivate", "reactivate"):
        url = f"/manage/accounts/{new_id}/{step}"
        assert fetch(app, admin, "POST", url).status_code == 302

    got = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id)
        .where(AuditEvent.id > start)
        .order_by(AuditEvent.id)
    ).all()
    fac_id, admin_id = staff.facilitator.id, staff.admin.id
    assert [tuple(row) for row in got] == [
        ("consultation.create", fac_id),
        ("consultation.update", fac_id),
        ("consultation.copy", fac_id),
        ("membership.add", fac_id),
        ("membership.remove", fac_id),
        ("user.create", admin_id),
        ("user.deactivate", admin_id),
        ("user.reactivate", admin_id),
    ]
    page = fetch(app, admin, "GET", f"{AUDIT}?lang=en&consultation=audited").get_data(as_text=True)
    assert rows_shown(page) == [
        "membership.remove",
        "membership.add",
        "consultation.update",
        "consultation.create",
    ]
