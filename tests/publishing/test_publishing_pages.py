"""The published-reports pages: list, publish, one version, and the check against the data."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consult.extensions import db
from consult.services import publishing
from consult.services.errors import InvalidState
from tests.facilitator.conftest import Staff, fetch, sign_in_as
from tests.publishing.conftest import copy_response, submitted

pytestmark = pytest.mark.db

BASE = "/manage/consultations/migration-action-plan/reports"
FORM = {
    "question": "action_priority",
    "method": "median",
    "weighting": "equal-groups",
    "seed": "7",
    "bootstrap": "30",
    "language": "ar",
}


def client_for(app: Flask, staff: Staff, role: str = "analyst") -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, staff.user(role))
    return client


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("analyst", 200, 302),
        ("facilitator", 200, 302),
        ("outside_analyst", 403, 403),
        ("other_facilitator", 403, 403),
        ("anonymous", 302, 302),
    ],
)
def test_who_may_use_the_pages(app: Flask, staff: Staff, role: str, read: int, write: int) -> None:
    publishing.publish_report(
        db.session, staff.admin, staff.a, question_code="action_priority", bootstrap=0
    )
    client = client_for(app, staff, role)
    assert fetch(app, client, "GET", f"{BASE}/published").status_code == read
    assert fetch(app, client, "GET", f"{BASE}/published/1").status_code == read
    assert fetch(app, client, "POST", f"{BASE}/published/1/verify").status_code == read
    published = fetch(app, client, "POST", f"{BASE}/publish", data=FORM)
    assert published.status_code == write
    if role == "anonymous":
        assert published.location.startswith("/account/login")
    elif write == 302:
        assert published.location == f"{BASE}/published/2"
    versions = [r.version for r in publishing.list_reports(db.session, staff.admin, staff.a)]
    assert versions == ([2, 1] if write == 302 and role != "anonymous" else [1])


def test_publish_list_show_and_check(app: Flask, staff: Staff) -> None:
    client = client_for(app, staff)
    empty = fetch(app, client, "GET", f"{BASE}/published?lang=en").get_data(as_text=True)
    assert "No report has been published yet." in empty
    assert '<option value="action_priority">' in empty
    assert '<option value="ar" lang="ar">' in empty

    sent = fetch(app, client, "POST", f"{BASE}/publish?lang=en", data=FORM)
    assert sent.status_code == 302
    assert sent.location == f"{BASE}/published/1"
    [report] = publishing.list_reports(db.session, staff.analyst, staff.a)
    assert (report.method, report.weighting, report.language) == ("median", "equal-groups", "ar")

    page = fetch(app, client, "GET", f"{BASE}/published/1?lang=en").get_data(as_text=True)
    assert "Version 1 of the report is published." in page
    assert report.fingerprint in page
    assert "pandas " in page
    # item names are stored in Arabic and marked as such in the English page
    assert re.search(r'<th scope="row"><span lang="ar" dir="rtl">[^<]*[\u0600-\u06ff]', page)
    assert "Rank now" not in page

    listing = fetch(app, client, "GET", f"{BASE}/published?lang=en").get_data(as_text=True)
    assert "Version 1" in listing
    assert f"{report.fingerprint_prefix}…" in listing
    assert report.software_version in listing
    assert "analyst-a@example.org" in listing

    same = fetch(app, client, "POST", f"{BASE}/published/1/verify?lang=en")
    assert same.status_code == 200
    text = same.get_data(as_text=True)
    assert "The answers are the same as at publication: the data fingerprint matches." in text
    assert "The current answers give exactly the published numbers." in text
    assert "the numbers are identical" in text

    copy_response(staff.a)
    copy_response(staff.a)
    db.session.commit()
    changed = fetch(app, client, "POST", f"{BASE}/published/1/verify?lang=en")
    text = changed.get_data(as_text=True)
    assert "The data changed since publication: 2 responses more." in text
    assert "The current answers give different numbers" in text
    assert "the numbers are identical" in text  # the published version, from its stored answers
    assert "Rank now" in text


def test_refused_publications(app: Flask, staff: Staff) -> None:
    client = client_for(app, staff)
    wrong_method = fetch(
        app, client, "POST", f"{BASE}/publish?lang=en", data={**FORM, "method": "borda"}
    )
    assert wrong_method.status_code == 422
    assert "This method does not apply to this question" in wrong_method.get_data(as_text=True)

    bad_seed = fetch(app, client, "POST", f"{BASE}/publish?lang=en", data={**FORM, "seed": "x"})
    assert bad_seed.status_code == 422
    assert "Enter a whole number from 0 to" in bad_seed.get_data(as_text=True)

    no_question = fetch(app, client, "POST", f"{BASE}/publish?lang=en", data={})
    assert no_question.status_code == 422
    assert "Choose a priority question." in no_question.get_data(as_text=True)

    assert publishing.list_reports(db.session, staff.analyst, staff.a) == []
    assert fetch(app, client, "GET", f"{BASE}/published/9").status_code == 404
    assert fetch(app, client, "GET", f"{BASE}/published/x").status_code == 404


def test_a_version_stored_without_its_frame_cannot_be_checked(app: Flask, staff: Staff) -> None:
    report = publishing.publish_report(
        db.session, staff.analyst, staff.a, question_code="action_priority", bootstrap=0
    )
    report.results = {"results": report.results["results"]}  # no stored frame
    db.session.commit()
    with pytest.raises(InvalidState):
        publishing.regenerate_report(db.session, staff.analyst, report)
    client = client_for(app, staff)
    refused = fetch(app, client, "POST", f"{BASE}/published/1/verify?lang=en")
    assert refused.status_code == 409
    assert "stored without the answers and parameters needed to check it" in refused.get_data(
        as_text=True
    )


def test_publish_with_excluded_responses(app: Flask, staff: Staff) -> None:
    ids = [str(r.id) for r in submitted(staff.a)]
    client = client_for(app, staff)
    form = fetch(app, client, "GET", f"{BASE}/published?lang=en").get_data(as_text=True)
    assert "Exclude responses (ids, separated by commas)" in form
    assert 'name="exclusions"' in form

    # commas, Arabic commas and spaces separate ids
    typed = f"{ids[7]}, {ids[3]}،{ids[7]}  "
    sent = fetch(app, client, "POST", f"{BASE}/publish?lang=en", data={**FORM, "exclusions": typed})
    assert sent.status_code == 302, sent.get_data(as_text=True)
    [report] = publishing.list_reports(db.session, staff.analyst, staff.a)
    stored = publishing.get_report(db.session, staff.analyst, staff.a, 1)
    assert stored.parameters["exclusions"] == sorted([ids[3], ids[7]], key=int)
    assert report.n_respondents == len(ids) - 2

    page = fetch(app, client, "GET", f"{BASE}/published/1?lang=en").get_data(as_text=True)
    assert re.search(
        rf'id="exclusions">2 responses excluded: <span dir="ltr">{ids[3]}, {ids[7]}</span>', page
    )
    check = fetch(app, client, "POST", f"{BASE}/published/1/verify?lang=en")
    assert "The current answers give exactly the published numbers." in check.get_data(as_text=True)
    plain = fetch(app, client, "POST", f"{BASE}/publish?lang=en", data=FORM)
    assert plain.status_code == 302
    page = fetch(app, client, "GET", f"{BASE}/published/2?lang=en").get_data(as_text=True)
    assert 'id="exclusions">Nothing</dd>' in page


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        (
            "12, abc",
            422,
            "Enter response ids as whole numbers separated by commas, for example "
            "12, 57 (not abc).",
        ),
        ("7.5; -2", 422, "(not 7.5, -2)."),
        ("999999", 422, "Response 999999 did not answer this question, or is not submitted"),
        ("999998, 999999", 422, "Responses 999998, 999999 did not answer this question"),
        ("1" * 2001, 422, "Enter at most 2000 characters."),
        ("ALL", 409, "Fewer than 5 respondents are left once these responses are excluded"),
    ],
)
def test_bad_exclusions_are_refused_and_nothing_is_published(
    app: Flask, staff: Staff, typed: str, status: int, message: str
) -> None:
    if typed == "ALL":
        typed = ",".join(str(r.id) for r in submitted(staff.a)[1:])
    client = client_for(app, staff)
    refused = fetch(
        app, client, "POST", f"{BASE}/publish?lang=en", data={**FORM, "exclusions": typed}
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == status
    assert message in text
    if status == 422:
        assert 'id="exclusions" name="exclusions"' in text
        assert 'aria-describedby="exclusions-hint exclusions-error" aria-invalid="true"' in text
        assert '<a href="#exclusions">Exclude responses (ids, separated by commas)</a>' in text
    assert publishing.list_reports(db.session, staff.analyst, staff.a) == []
