"""The facilitator closes the consultation while a participant is between pages: the
participant's next page and their sending are refused with a clear, translated page (never a
500), everything they saved is kept, and the facilitator's participation page counts the
response as in progress. (tests/participate/test_closed.py covers closing by state or schedule
set directly; this goes through the facilitator's own close button.)"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consult.extensions import db
from consult.models import Consultation, ConsultationState, ResponseState
from tests.facilitator.conftest import FS_TUPLE_CHOICES, add_user, fetch, sign_in_as
from tests.nothing_lost.conftest import PAGE1, answer_counts, responses
from tests.participate.helpers import csrf_token, fill, location, start_open_link

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

# (title, message) of the refusal, as the participant reads it
REFUSED = {
    "en": (
        "This consultation is not taking answers",
        "The answers you saved are kept, but they can no longer be sent.",
    ),
    "tr": (
        "Bu istişare yanıt kabul etmiyor",
        "Kaydettiğiniz yanıtlar saklanıyor, ancak artık gönderilemezler.",
    ),
    "ar": (
        "هذه المشاورة لا تستقبل إجابات",
        "الإجابات التي حفظتها محفوظة، لكن لم يعد من الممكن إرسالها.",
    ),
}


def close_as_facilitator(app: Flask, slug: str) -> FlaskClient:
    admin = add_user("admin@example.org", "admin", two_factor=True)  # admins need a 2nd factor
    db.session.commit()
    staff = app.test_client()
    sign_in_as(staff, admin)
    consultation = db.session.query(Consultation).filter_by(slug=slug).one()
    data = {"action": "close", "version": str(consultation.version)}
    response = fetch(app, staff, "POST", f"/manage/consultations/{slug}/transition", data=data)
    assert response.status_code == 302, response.text[:300]
    assert response.headers["Location"].endswith(f"/manage/consultations/{slug}"), response.headers[
        "Location"
    ]
    db.session.expire_all()
    assert db.session.query(Consultation).filter_by(slug=slug).one().state == (
        ConsultationState.CLOSED
    )
    return staff


def in_progress_total(app: Flask, staff: FlaskClient, slug: str) -> list[int]:
    html = fetch(app, staff, "GET", f"/manage/consultations/{slug}/monitoring?lang=en").text
    assert '<th scope="col">In progress</th>' in html
    foot = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    return [int(n) for n in re.findall(r"<td>(\d+)</td>", foot)]


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_closed_between_pages(app, csrf_app, demo, session, language) -> None:
    participant = csrf_app.test_client()
    first = start_open_link(participant, demo, language)
    html = participant.get(first).text
    page2 = location(participant.post(first, data={**PAGE1, "csrf_token": csrf_token(html)}))
    page2_html = participant.get(page2).text
    typed = fill(page2_html)

    staff = close_as_facilitator(app, demo)
    # invited, started, submitted, withdrawn, in progress
    assert in_progress_total(app, staff, demo) == [0, 1, 0, 0, 1]

    # the participant presses Continue on page 2: a clear page, not a 500 and not the form
    data = {**typed, "action": "continue", "csrf_token": csrf_token(page2_html)}
    refused = participant.post(f"{page2}?lang={language}", data=data)
    assert refused.status_code == 403
    assert f'<html lang="{language}"' in refused.text
    title, message = REFUSED[language]
    assert f"<h1>{title}</h1>" in refused.text
    assert message in refused.text
    assert "<form" not in refused.text.split('<main id="main"', 1)[1]

    # sending is refused the same way
    review = first.replace("/page/1", "/review")
    sent = participant.post(f"{review}?lang={language}", data={"csrf_token": csrf_token(html)})
    assert sent.status_code == 403
    assert f"<h1>{title}</h1>" in sent.text
    assert message in sent.text

    # nothing lost: page 1 and what was typed on page 2 are stored, nothing was sent
    counts = answer_counts(session)
    assert counts["stakeholder_group"] == counts["district"] == 1
    assert counts["challenge_severity"] == len(typed)
    assert responses(session) == [(ResponseState.IN_PROGRESS, 1)]
    assert in_progress_total(app, staff, demo) == [0, 1, 0, 0, 1]
