"""axe-core on every participant page, in English and Arabic: no serious or critical violation.

One browser page walks the whole flow (landing, errors, every section, review, thank-you,
withdrawal, closed consultation, invitation pages) and axe runs at each stop.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import update

from consult.models import Consultation, ConsultationState, Invitation
from consult.services.demo import load_demo
from consult.services.tokens import hash_token, new_token
from tests.browser.test_participate import answer_page, submit

pytestmark = [pytest.mark.browser, pytest.mark.db]

AXE = Axe()
BLOCKING = ("serious", "critical")


class Audit:
    """Runs axe on a page and keeps every serious or critical violation, by page."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        self.pages: list[str] = []

    def __call__(self, label: str) -> None:
        self.page.evaluate("document.fonts.ready")
        results = AXE.run(self.page)
        self.pages.append(label)
        for violation in results.response["violations"]:
            if violation["impact"] in BLOCKING:
                targets = ", ".join(str(node["target"]) for node in violation["nodes"])
                self.problems.append(
                    f"{label}: {violation['id']} ({violation['impact']}) {violation['help']}"
                    f" -> {targets}"
                )


@pytest.fixture
def invite_token(session: Any) -> Any:
    """Create an invitation to a consultation; its token."""

    def make(slug: str) -> str:
        consultation = session.query(Consultation).filter_by(slug=slug).one()
        token = new_token()
        session.add(
            Invitation(consultation_id=consultation.id, token_hash=hash_token(token), language="en")
        )
        session.commit()
        return token

    return make


def continue_(page: Any) -> None:
    submit(page, "button[name=action][value=continue]")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_participant_page_passes_axe(
    participant_page, session, invite_token, language: str
) -> None:
    load_demo(session, responses=0)
    session.commit()
    page = participant_page(locale=language)
    audit = Audit(page)
    slug = "migration-action-plan"

    page.goto(f"/c/{slug}?lang={language}")
    audit("landing")
    submit(page, "form .button--start")
    audit("landing with an error")
    page.locator("#consent").check()
    page.locator("form .button--start").click()
    page.wait_for_url("**/page/1")
    continue_(page)
    audit("page 1 with errors")
    while "/page/" in page.url:
        number = page.url.rsplit("/", 1)[1]
        audit(f"page {number}")
        answer_page(page)
        if page.locator("[data-ranking]").count():
            audit(f"page {number} with the ranking filled in")
        continue_(page)
    audit("review")
    page.locator(".submit-form button[type=submit]").click()
    page.wait_for_url("**/done")
    audit("thank-you")
    receipt = page.locator(".receipt").inner_text()

    page.goto(f"/c/{slug}/withdraw")
    audit("withdraw")
    submit(page, ".withdraw-form button")
    audit("withdraw with an error")
    page.fill("#receipt", receipt)
    page.locator(".withdraw-form button").click()
    page.wait_for_url("**/withdrawn")
    audit("withdrawn")

    token = invite_token(slug)
    page.goto(f"/i/{token}/?lang={language}")
    audit("invitation landing")
    page.goto(f"/r/not-a-token/page/1?lang={language}")
    audit("invalid link")

    session.execute(
        update(Consultation).where(Consultation.slug == slug).values(state=ConsultationState.CLOSED)
    )
    session.commit()
    page.goto(f"/c/{slug}?lang={language}")
    audit("closed consultation")
    page.goto(f"/i/{token}/?lang={language}")
    audit("closed consultation, invitation")

    assert len(audit.pages) >= 15
    assert audit.problems == []


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_question_type_passes_axe(participant_page, session, language: str) -> None:
    from consult.services.demo_question_types import load_question_types_demo

    load_question_types_demo(session)
    session.commit()
    page = participant_page(locale=language, width=390, height=844)
    audit = Audit(page)
    page.goto(f"/c/question-types?lang={language}")
    page.locator("#consent").check()
    page.locator("form .button--start").click()
    page.wait_for_url("**/page/1")
    while "/page/" in page.url:
        url = page.url
        number = url.rsplit("/", 1)[1]
        continue_(page)
        if page.locator(".error-summary").count():
            audit(f"question types page {number} with errors")
        else:  # nothing required here: it moved on
            page.goto(url)
        answer_page(page)
        audit(f"question types page {number}")
        continue_(page)
    audit("question types review")
    assert audit.problems == []
