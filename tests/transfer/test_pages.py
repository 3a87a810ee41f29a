"""The import page (XLSForm or JSON → a new draft) and the export page and downloads."""

from __future__ import annotations

import html as html_lib
import io
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from consult.extensions import db
from consult.models import AuditEvent, Consultation, ConsultationState, Membership, MembershipRole
from consult.services.xlsform import MAX_UNCOMPRESSED_BYTES
from tests.facilitator import conftest as workspace
from tests.facilitator.conftest import FS_TUPLE_CHOICES, Staff, fetch, sign_in_as
from tests.transfer.conftest import kobo_form
from tests.transfer.test_xlsform_import import WORKBOOK, _zip

# the workspace's fixtures (staff accounts around two consultations), reused here
app = workspace.app
staff = workspace.staff
demo_responses = workspace.demo_responses

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

IMPORT = "/manage/consultations/import"
QT = "/manage/consultations/question-types"


def client_for(app: Flask, user) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, user)
    return client


def send(app: Flask, client: FlaskClient, data: bytes, name: str, slug: str = "") -> TestResponse:
    """Post the import form; the body is encoded in memory (the test client would spool a
    large one to a temporary file that it never closes)."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name), "slug": slug})
    return fetch(
        app,
        client,
        "POST",
        f"{IMPORT}?lang=en",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def consultations() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Consultation.id)))


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def text_of(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_a_kobo_form_becomes_a_draft_with_its_report(app, staff: Staff) -> None:
    client = client_for(app, staff.other_facilitator)
    form = fetch(app, client, "GET", f"{IMPORT}?lang=en")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    response = send(app, client, kobo_form(), "needs.xlsx", slug="needs")
    assert response.status_code == 200, response.text
    page = response.text
    assert "<h1>Draft consultation created</h1>" in page
    assert 'id="new-consultation" href="/manage/consultations/needs"' in page
    facts = text_of(re.search(r'<dl class="facts">(.*?)</dl>', page, re.S).group(1))
    assert "Languages en, tr, ar" in facts
    assert "Sections 3" in facts
    assert "Questions 11" in facts
    report = text_of(re.search(r'id="import-report">(.*?)</table>', page, re.S).group(1))
    assert "location geopoint question not imported Consult has no such type" in report
    assert "choice_filter" in report
    db.session.rollback()
    needs = db.session.scalar(select(Consultation).where(Consultation.slug == "needs"))
    assert needs.state == ConsultationState.DRAFT
    assert needs.languages == ["en", "tr", "ar"]
    # the importer facilitates the new consultation and can open it
    roles = db.session.execute(
        select(Membership.user_id, Membership.role).where(Membership.consultation_id == needs.id)
    ).all()
    assert roles == [(staff.other_facilitator.id, MembershipRole.FACILITATOR)]
    assert fetch(app, client, "GET", "/manage/consultations/needs").status_code == 200
    (event,) = events("consultation.import")
    assert (event.actor_id, event.consultation_id) == (staff.other_facilitator.id, needs.id)
    assert event.details["format"] == "xlsform"


def _bomb() -> bytes:
    return _zip(WORKBOOK, big=("xl/worksheets/sheet1.xml", MAX_UNCOMPRESSED_BYTES + 2**20))


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (_bomb(), "bomb.xlsx", "refused: the .xlsx unpacks to more than 100 MB"),
        (b"\x00\x01garbage", "notes.txt", "Give an XLSForm (.xlsx) or a consultation export"),
        (b"PK\x03\x04" + b"garbage" * 10, "form.xlsx", "the zip archive is damaged"),
        (b"type,name,label\n", "form.xlsx", "not an .xlsx workbook (an .xls, .csv or .ods"),
        (b'{"format": "consult.consultation", ', "c.json", "not valid JSON: "),
        (b'{"format": "other"}', "c.json", "$: missing key 'version'"),
        (b"   ", "c.json", "The file is empty."),
    ],
)
def test_refused_files_say_why_and_create_nothing(
    app, staff: Staff, data: bytes, name: str, message: str
) -> None:
    before = consultations()
    response = send(app, client_for(app, staff.facilitator), data, name)
    assert response.status_code == 422
    assert "The file was refused: nothing was created" in response.text
    assert message in html_lib.unescape(response.text)
    assert consultations() == before
    assert events("consultation.import") == []


def test_an_upload_over_the_request_limit_is_refused_on_the_form(app, staff: Staff) -> None:
    before = consultations()
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = send(app, client_for(app, staff.facilitator), b"{" + b" " * limit + b"}", "a.json")
    assert response.status_code == 413
    assert "The file is larger than 5 MB: nothing was imported." in response.text
    assert f'action="{IMPORT}"' in response.text  # the form, to try again
    assert consultations() == before


def test_a_taken_address_name_is_an_error_on_its_field(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    response = send(app, client, kobo_form(), "needs.xlsx", slug="question-types")
    assert response.status_code == 409
    assert "This address name is already taken: choose another one." in response.text
    assert 'value="question-types"' in response.text
    response = send(app, client, kobo_form(), "needs.xlsx", slug="Not A Slug")
    assert response.status_code == 422
    assert "the slug &#39;Not A Slug&#39; is not valid" in response.text
    assert events("consultation.import") == []


def test_json_export_then_import_through_the_pages_is_the_same_document(app, staff) -> None:
    client = client_for(app, staff.other_facilitator)  # facilitator of question-types
    exported = fetch(app, client, "GET", f"{QT}/export.json")
    assert exported.status_code == 200
    assert exported.mimetype == "application/json"
    assert exported.headers["Content-Disposition"] == "attachment; filename=question-types.json"
    document = json.loads(exported.data)
    assert document["format"] == "consult.consultation"

    imported = send(app, client, exported.data, "question-types.json", slug="qt-copy")
    assert imported.status_code == 200, imported.text
    assert "Everything was imported." in imported.text
    again = fetch(app, client, "GET", "/manage/consultations/qt-copy/export.json")
    assert again.status_code == 200
    assert again.headers["Content-Disposition"] == "attachment; filename=qt-copy.json"
    copy = json.loads(again.data)
    assert copy["consultation"].pop("slug") == "qt-copy"
    document["consultation"].pop("slug")
    assert copy == document
    assert [e.details["format"] for e in events("consultation.export")] == ["json", "json"]
    assert len(events("consultation.import")) == 1


def test_the_export_page_lists_what_xlsform_leaves_out(app, staff: Staff) -> None:
    client = client_for(app, staff.other_facilitator)
    page = fetch(app, client, "GET", f"{QT}/export?lang=en")
    assert page.status_code == 200
    assert f'href="{QT}/export.json"' in page.text
    assert f'href="{QT}/export.xlsx"' in page.text
    round_one = text_of(re.search(r'id="round-1">(.*?)</section>', page.text, re.S).group(1))
    assert "cannot be expressed in XLSForm and are left out" in round_one
    assert "pairwise pairwise question not exported" in round_one
    assert events("consultation.export") == []  # looking is not exporting

    workbook = fetch(app, client, "GET", f"{QT}/export.xlsx")
    assert workbook.status_code == 200
    assert workbook.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert workbook.headers["Content-Disposition"] == "attachment; filename=question-types.xlsx"
    sheets = load_workbook(io.BytesIO(workbook.data), read_only=True)
    try:
        assert sheets.sheetnames[:2] == ["survey", "choices"]
    finally:
        sheets.close()
    (event,) = events("consultation.export")
    assert (event.actor_id, event.details["format"]) == (staff.other_facilitator.id, "xlsform")
    assert fetch(app, client, "GET", f"{QT}/export.xlsx?round=9").status_code == 404


@pytest.mark.parametrize(
    ("role", "import_status", "export_status"),
    [
        ("analyst", 403, 200),  # analyst member of the action plan: may export, not import
        ("outside_analyst", 403, 403),
        ("other_facilitator", 200, 403),  # a facilitator, but not of the action plan
        ("facilitator", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_who_may_import_and_export(app, staff: Staff, role, import_status, export_status) -> None:
    client = client_for(app, staff.user(role))
    assert fetch(app, client, "GET", IMPORT).status_code == import_status
    base = "/manage/consultations/migration-action-plan"
    for path in ("/export", "/export.json", "/export.xlsx"):
        assert fetch(app, client, "GET", base + path).status_code == export_status, path
    if import_status == 403:
        before = consultations()
        assert send(app, client, kobo_form(), "needs.xlsx").status_code == 403
        assert consultations() == before


def test_the_nav_offers_import_to_those_who_may(app, staff: Staff) -> None:
    page = "/manage/consultations/migration-action-plan/monitoring?lang=en"
    link = f'href="{IMPORT}"'
    assert link in fetch(app, client_for(app, staff.facilitator), "GET", page).text
    assert link not in fetch(app, client_for(app, staff.analyst), "GET", page).text
    assert 'href="/manage/consultations/migration-action-plan/export"' in (
        fetch(app, client_for(app, staff.analyst), "GET", page).text
    )


def test_the_import_and_export_pages_are_translated(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    page = fetch(app, client, "GET", f"{IMPORT}?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>استيراد مشاورة</h1>" in page
    page = fetch(app, client, "GET", "/manage/consultations/migration-action-plan/export?lang=tr")
    assert "<h1>Dışa aktar</h1>" in page.text


def test_workspace_page_names_cannot_be_slugs(session) -> None:  # type: ignore[no-untyped-def]
    from consult.security import user_datastore
    from consult.services import lifecycle, transfer
    from consult.services.errors import Conflict
    from consult.services.users import create_user

    creator = create_user(session, user_datastore, "maker@example.org", "facilitator", "x" * 12)
    for slug in ("new", "import"):
        with pytest.raises(Conflict):
            transfer.check_new_slug(session, slug)
        with pytest.raises(lifecycle.InvalidSettings, match="reserved"):
            lifecycle.create_consultation(
                session, creator, slug, ["en"], "en", {"en": "T"}, allowed_languages=["en"]
            )
