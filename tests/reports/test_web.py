"""Downloading the report: who may, what they get, the page with one button per language."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from pypdf import PdfReader

from tests.facilitator.conftest import FS_TUPLE_CHOICES, Staff, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

URL = "/manage/consultations/migration-action-plan/report"


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_an_analyst_member_downloads_the_pdf(app: Flask, staff: Staff, language: str) -> None:
    client = app.test_client()
    sign_in_as(client, staff.analyst)

    response = fetch(app, client, "GET", f"{URL}.pdf?lang={language}")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="migration-action-plan-report-{language}.pdf"'
    )
    assert "no-store" in response.headers["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.trailer["/Root"]["/Lang"] == language
    assert len(reader.pages) > 1


def test_without_responses_the_report_says_so(app: Flask, staff: Staff) -> None:
    client = app.test_client()
    sign_in_as(client, staff.facilitator)

    response = fetch(app, client, "GET", f"{URL}.pdf?lang=en")

    assert response.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "No response has been submitted yet, so there are no results to report." in text
    assert "No challenge severity results yet." in text
    assert "No comments have been selected for this report." in text


@pytest.mark.parametrize(
    ("role", "status"), [("outside_analyst", 403), ("other_facilitator", 403), ("anonymous", 302)]
)
def test_others_get_no_pdf(app: Flask, staff: Staff, role: str, status: int) -> None:
    client = app.test_client()
    sign_in_as(client, staff.user(role))

    response = fetch(app, client, "GET", f"{URL}.pdf?lang=en")

    assert response.status_code == status
    assert response.mimetype != "application/pdf"
    if status == 302:
        assert response.location.startswith("/account/login")


def test_an_unknown_question_is_a_bad_request(app: Flask, staff: Staff) -> None:
    client = app.test_client()
    sign_in_as(client, staff.analyst)

    response = fetch(app, client, "GET", f"{URL}.pdf?lang=en&question=nope")

    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_an_unknown_language_gives_the_page_language(app: Flask, staff: Staff) -> None:
    client = app.test_client()
    sign_in_as(client, staff.analyst)

    response = fetch(app, client, "GET", f"{URL}.pdf?lang=xx", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert PdfReader(io.BytesIO(response.data)).trailer["/Root"]["/Lang"] == "en"


def test_the_report_page_offers_each_language(app: Flask, staff: Staff) -> None:
    client = app.test_client()
    sign_in_as(client, staff.analyst)

    html = fetch(app, client, "GET", f"{URL}?lang=ar").get_data(as_text=True)

    assert '<html lang="ar" dir="rtl">' in html
    assert f'action="{URL}/background"' in html
    for code, name in [("tr", "Türkçe"), ("en", "English"), ("ar", "العربية")]:
        assert f'name="lang" value="{code}"' in html
        assert f'<span lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}">{name}</span>' in html
    assert '<option value="action_priority">' in html
    assert "تقرير الأولويات" in html


def test_a_consultation_without_answers_to_any_type_renders(app: Flask, staff: Staff) -> None:
    """The question-types demo: every kind of priority question, nobody has answered."""
    client = app.test_client()
    sign_in_as(client, staff.other_facilitator)

    response = fetch(app, client, "GET", f"/manage/consultations/{staff.b.slug}/report.pdf?lang=tr")

    assert response.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Henüz hiç yanıt gönderilmedi; bu nedenle raporlanacak sonuç yok." in " ".join(
        text.split()
    )


def test_the_report_is_prepared_in_the_background(app: Flask, staff: Staff) -> None:
    """The page's buttons start a job; its progress page hands over the same PDF."""
    from sqlalchemy import select

    from consult.extensions import db
    from consult.models import Job, JobState

    client = app.test_client()
    sign_in_as(client, staff.analyst)
    started = fetch(app, client, "POST", f"{URL}/background", data={"lang": "tr", "question": ""})
    assert started.status_code == 302
    job = db.session.scalar(select(Job))
    assert (job.kind, job.state, job.parameters["language"]) == ("report-pdf", JobState.DONE, "tr")
    page = fetch(app, client, "GET", started.location + "?lang=en").get_data(as_text=True)
    assert "Ready" in page
    download = fetch(app, client, "GET", started.location + "/download")
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].endswith('-report-tr.pdf"')
    reader = PdfReader(io.BytesIO(download.get_data()))
    assert reader.metadata.title == staff.a.title["tr"]
