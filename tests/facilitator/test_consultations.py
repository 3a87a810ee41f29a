"""The workspace pages: transitions, the refusal list, stale versions, monitoring, audit log."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from consult.extensions import db
from consult.models import AuditEvent, ConsultationState
from consult.services import lifecycle
from consult.services.monitoring import monitor
from tests.facilitator.conftest import Staff, by_slug, fetch, sign_in_as

pytestmark = pytest.mark.db

A = "/manage/consultations/migration-action-plan"


def client_for(app: Flask, user):
    client = app.test_client()
    sign_in_as(client, user)
    return client


def post_transition(app: Flask, client, url: str, action: str, version: int):
    data = {"action": action, "version": str(version)}
    return fetch(app, client, "POST", f"{url}/transition?lang=en", data=data)


def state_of(slug: str) -> tuple[ConsultationState, int]:
    db.session.expire_all()
    consultation = by_slug(slug)
    return ConsultationState(consultation.state), consultation.version


def test_facilitator_closes_reopens_and_archives(app: Flask, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    html = fetch(app, client, "GET", f"{A}?lang=en").get_data(as_text=True)
    assert 'value="close"' in html
    assert 'value="archive"' not in html

    for action, expected in [
        ("close", ConsultationState.CLOSED),
        ("reopen", ConsultationState.OPEN),
        ("close", ConsultationState.CLOSED),
        ("archive", ConsultationState.ARCHIVED),
    ]:
        _state, version = state_of("migration-action-plan")
        response = post_transition(app, client, A, action, version)
        assert response.status_code == 302, (action, response.get_data(as_text=True))
        assert state_of("migration-action-plan")[0] == expected

    html = fetch(app, client, "GET", f"{A}?lang=en").get_data(as_text=True)
    assert "Archived" in html
    assert "Change the state" not in html
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "consultation.archive" in actions
    assert "consultation.reopen" in actions


def test_analyst_member_sees_no_transitions(app: Flask, staff: Staff) -> None:
    html = fetch(app, client_for(app, staff.analyst), "GET", f"{A}?lang=en").get_data(as_text=True)
    assert "Open" in html
    assert "Change the state" not in html


def test_opening_is_refused_with_the_list_of_problems(app: Flask, staff: Staff) -> None:
    lifecycle.create_consultation(
        db.session,
        staff.facilitator,
        "half-done",
        ["tr", "en"],
        "tr",
        {"tr": "Yarım"},
        allowed_languages=["tr", "en", "ar"],
    )
    db.session.commit()
    url = "/manage/consultations/half-done"
    client = client_for(app, staff.facilitator)
    assert 'value="open"' in fetch(app, client, "GET", url).get_data(as_text=True)
    response = post_transition(app, client, url, "open", state_of("half-done")[1])
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "This change was refused" in html
    assert "round 1 has no questions" in html
    assert "These texts are missing translations:" in html
    assert (
        '<tr><td dir="ltr">consultation</td><td dir="ltr">title</td><td dir="ltr">en</td></tr>'
        in html
    )
    assert '<td dir="ltr">privacy notice</td><td dir="ltr">tr, en</td>' in html
    assert state_of("half-done")[0] == ConsultationState.DRAFT


def test_a_stale_version_gives_a_conflict_page(app: Flask, staff: Staff) -> None:
    _state, version = state_of("migration-action-plan")
    client = client_for(app, staff.facilitator)
    assert post_transition(app, client, A, "close", version).status_code == 302
    # a second facilitator's page still shows the old version
    stale = post_transition(app, client_for(app, staff.admin), A, "reopen", version)
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "<h1>Someone else changed this consultation</h1>" in html
    assert f'href="{A}"' in html
    assert state_of("migration-action-plan")[0] == ConsultationState.CLOSED


def test_a_wrong_transition_is_explained(app: Flask, staff: Staff) -> None:
    _state, version = state_of("migration-action-plan")
    response = post_transition(app, client_for(app, staff.facilitator), A, "archive", version)
    assert response.status_code == 409
    assert "only a closed consultation can be archived" in response.get_data(as_text=True)


def test_a_malformed_transition_is_a_bad_request(app: Flask, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    bad = fetch(app, client, "POST", f"{A}/transition", data={"action": "delete", "version": "1"})
    assert bad.status_code == 400


@pytest.mark.parametrize("demo_responses", [40])
def test_monitoring_page_shows_the_numbers_of_the_demo(app: Flask, staff: Staff) -> None:
    numbers = monitor(db.session, staff.admin, by_slug("migration-action-plan"))
    assert numbers.total.submitted > 0
    html = fetch(app, client_for(app, staff.facilitator), "GET", f"{A}/monitoring?lang=en")
    html = html.get_data(as_text=True)

    def row(c) -> str:
        return (
            f"<td>{c.invited}</td><td>{c.started}</td><td>{c.submitted}</td><td>{c.withdrawn}</td>"
        )

    total = html.split("<tfoot>")[1]
    assert row(numbers.total) in total
    for group in numbers.by_group:
        assert row(group) in html
    by_language = html.split('id="by-language"')[1].split("</table>")[0]
    for counts in numbers.by_language:
        assert f'<th scope="row">{counts.language}</th>\n  {row(counts)}' in by_language
    per_day = html.split('id="per-day"')[1].split("</table>")[0]
    assert per_day.count("<tr>") == len(numbers.submitted_per_day) + 1
    assert sum(n for _day, n in numbers.submitted_per_day) == numbers.total.submitted
    assert "Median time to complete" in html or "anonymous mode" in html


def test_audit_log_is_for_admins(app: Flask, staff: Staff) -> None:
    _state, version = state_of("migration-action-plan")
    post_transition(app, client_for(app, staff.facilitator), A, "close", version)
    html = fetch(app, client_for(app, staff.admin), "GET", "/manage/audit?lang=en")
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    assert "consultation.close" in text
    assert "fac-a@example.org" in text
    for user in (staff.facilitator, staff.analyst, staff.outside_analyst):
        assert fetch(app, client_for(app, user), "GET", "/manage/audit").status_code == 403
