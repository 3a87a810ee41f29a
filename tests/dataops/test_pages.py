"""The erasure page and the retention setting, as staff use them."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consult.extensions import db
from consult.models import AuditEvent, Response, ResponseState
from tests.dataops.conftest import _close, answers_checksum, by_slug, table_counts
from tests.facilitator.conftest import FS_TUPLE_CHOICES, Staff, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]
URL = "/manage/consultations/migration-action-plan/erase"
EN = "?lang=en"  # the site's default language is Turkish


@pytest.fixture
def demo_responses() -> int:
    return 12


def _receipt() -> str:
    return db.session.scalars(
        select(Response.receipt_code).where(Response.state == ResponseState.SUBMITTED)
    ).first()


def test_roles(app: Flask, client: FlaskClient, staff: Staff) -> None:
    expected = {
        None: 302,
        "admin": 200,
        "facilitator": 200,
        "other_facilitator": 403,
        "analyst": 403,
        "outside_analyst": 403,
    }
    for role, status in expected.items():
        c = app.test_client()
        sign_in_as(c, staff.user(role) if role else None)
        assert fetch(app, c, "GET", URL).status_code == status, role
        posted = fetch(app, c, "POST", URL, data={})
        assert posted.status_code == (422 if status == 200 else status), role


def test_erase_after_closing(app: Flask, client: FlaskClient, staff: Staff) -> None:
    _close(by_slug())
    receipt = _receipt()
    sign_in_as(client, staff.facilitator)
    page = fetch(app, client, "GET", URL + EN)
    assert "Published report versions are records and are not changed" in page.text
    done = fetch(
        app,
        client,
        "POST",
        URL,
        data={"receipt": receipt.lower(), "reason": "e-mail of 3 March", "confirm": "y"},
    )
    assert done.status_code == 302
    assert done.location.endswith(URL)
    shown = fetch(app, client, "GET", URL + EN)
    assert f"The answers of the response ****-****-{receipt[-4:]} (round 1) are erased." in (
        shown.text
    )
    db.session.expire_all()
    response = db.session.scalars(select(Response).where(Response.receipt_code == receipt)).one()
    assert response.state == ResponseState.WITHDRAWN
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "response.erase")
    ).one()
    assert event.actor_id == staff.facilitator.id
    assert event.details["reason"] == "e-mail of 3 March"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"receipt": "ZZZZ-ZZZZ-ZZZZ", "reason": "asked by e-mail", "confirm": "y"},
            "No submitted response of this consultation has this receipt code.",
        ),
        (
            {"receipt": "12 ab", "reason": "asked by e-mail", "confirm": "y"},
            "A receipt code has 12 letters and digits, like 7K2M-Q9XD-4TPA.",
        ),
        (
            {"receipt": "RECEIPT", "reason": "asked by e-mail"},
            "Confirm that the answers are to be deleted.",
        ),
        (
            {"receipt": "RECEIPT", "reason": " ", "confirm": "y"},
            "Enter the reason for the erasure.",
        ),
    ],
)
def test_refused_input_keeps_what_was_typed(
    app: Flask, client: FlaskClient, staff: Staff, data: dict[str, str], message: str
) -> None:
    receipt = _receipt()
    data = {k: v.replace("RECEIPT", receipt) for k, v in data.items()}
    before = (table_counts(), answers_checksum())
    sign_in_as(client, staff.admin)
    page = fetch(app, client, "POST", URL + EN, data=data)
    assert page.status_code == 422
    assert message in page.text
    assert re.search(r'name="receipt"[^>]*value="' + re.escape(data["receipt"]) + '"', page.text)
    if data["reason"].strip():
        assert re.search(r"<textarea[^>]*>\s*asked by e-mail</textarea>", page.text)
    assert "<li>" in page.text.split('class="error-summary__list"')[1].split("</ul>")[0]
    db.session.expire_all()
    assert (table_counts(), answers_checksum()) == before


def test_erase_page_in_arabic_is_translated(app: Flask, client: FlaskClient, staff: Staff) -> None:
    sign_in_as(client, staff.facilitator)
    page = fetch(app, client, "GET", URL + "?lang=ar")
    assert page.status_code == 200
    assert "Erase answers by receipt code" not in page.text
    assert 'dir="rtl"' in page.text


def test_retention_setting_is_saved_and_shown(
    app: Flask, client: FlaskClient, staff: Staff
) -> None:
    from consult.facilitator.forms import consultation_data

    settings = "/manage/consultations/migration-action-plan/settings" + EN
    sign_in_as(client, staff.facilitator)

    def form(days: str) -> dict[str, object]:
        data = consultation_data(by_slug())
        data["retention_days"] = days
        data["open_link"] = "y" if data["open_link"] else ""
        for key in ("opens_at", "closes_at"):
            data[key] = data[key].strftime("%Y-%m-%dT%H:%M") if data[key] else ""
        return {k: v for k, v in data.items() if v not in (None, "")} | {"retention_days": days}

    refused = fetch(app, client, "POST", settings, data=form("0"))
    assert refused.status_code == 422
    assert "Enter a whole number of days from 1 to 3650, or leave it empty." in refused.text
    assert by_slug().retention_days is None
    saved = fetch(app, client, "POST", settings, data=form("90"))
    assert saved.status_code == 302, saved.text
    db.session.expire_all()
    assert by_slug().retention_days == 90
    _close(by_slug())
    db.session.commit()
    page = fetch(app, client, "GET", settings)
    assert 'id="retention-status"' in page.text
    assert "The invitation data will be deleted on" in page.text
    assert "4/10/27" in page.text  # closed 10 January 2027 + 90 days, in the short format
    assert runner_purge(app) == 0
    purged = fetch(app, client, "GET", settings)
    assert "The invitation data was last deleted on" in purged.text
    assert "will be deleted" not in purged.text
    cleared = fetch(app, client, "POST", settings, data=form(""))
    assert cleared.status_code == 302
    db.session.expire_all()
    assert by_slug().retention_days is None


def runner_purge(app: Flask) -> int:
    """``consult purge`` as cron runs it, long after the retention period."""
    db.session.commit()
    return app.test_cli_runner().invoke(args=["purge", "--now", "2030-01-01T00:00"]).exit_code
