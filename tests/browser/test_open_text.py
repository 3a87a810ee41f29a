"""In a real browser, without JavaScript: an analyst filters open answers, quotes one by keyboard,
publishes a report version and checks it; Arabic answers read right-to-left in an English page.
axe-core finds no accessibility violation on the pages."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from consult.models import Consultation, Membership, MembershipRole, Quote
from consult.security import user_datastore
from consult.services.demo import load_demo
from consult.services.users import create_user
from tests.analyst_text.conftest import add_text_answer

pytestmark = [pytest.mark.browser, pytest.mark.db]

EMAIL = "analyst@example.org"
PASSWORD = "a long enough passphrase"
BASE = "/manage/consultations/migration-action-plan"
AXE = Axe()


def axe_violations(page: Any) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in results.response["violations"]
    ]


def sign_in(page: Any) -> None:
    page.goto("/account/login?lang=en")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_analyst_quotes_and_publishes_without_javascript(
    participant_page: Any,
    session: Any,
) -> None:
    load_demo(session, responses=40)
    consultation = session.scalars(select(Consultation)).one()
    user = create_user(session, user_datastore, EMAIL, "analyst", PASSWORD)
    session.add(Membership(user=user, consultation=consultation, role=MembershipRole.ANALYST))
    arabic = add_text_answer(consultation, "نحتاج إلى مترجمين في كل مركز", language="ar").id
    turkish = add_text_answer(consultation, "Ben Ayşe: Fatih'te tercüman yok.", language="tr").id
    session.commit()  # and no more reading: on SQLite it would hold the database's write lock

    # without JavaScript: filter, select a quote with the keyboard, publish, check
    page = participant_page(locale="en-US", javascript=False)
    sign_in(page)
    page.goto(f"{BASE}/open-text?lang=en")
    answer = page.locator(f"#answer-{arabic} blockquote")
    assert answer.get_attribute("lang") == "ar"
    assert answer.get_attribute("dir") == "rtl"
    page.fill("#q", "AYSE")  # finds Ayşe: case and marks do not matter
    with page.expect_navigation():
        page.get_by_role("button", name="Show answers").click()
    assert page.locator("blockquote.open-answer").count() == 1
    page.locator(f"#answer-{turkish} summary").focus()
    page.keyboard.press("Enter")  # opens the <details>
    field = page.locator(f"#quote-text-{turkish}")
    assert field.is_visible()
    field.fill("Fatih'te tercüman yok.")
    with page.expect_navigation():
        page.locator(f"#answer-{turkish} form button[type=submit]").press("Enter")
    assert "The answer is selected for the report." in page.locator("main").inner_text()
    assert page.url.endswith(f"#answer-{turkish}")
    assert page.locator(f"#quote-{turkish} blockquote").inner_text() == "Fatih'te tercüman yok."
    session.expire_all()
    assert session.scalar(select(Quote.text)) == "Fatih'te tercüman yok."
    session.rollback()

    page.goto(f"{BASE}/reports/published?lang=en")
    page.fill("#bootstrap", "20")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    assert page.url.endswith(f"{BASE}/reports/published/1")
    with page.expect_navigation():
        page.get_by_role("button", name="Check against the current data").click()
    assert "the data fingerprint matches" in page.locator("#check").inner_text()

    # with JavaScript (for the checks): directions as rendered, and axe-core on every page
    page = participant_page(locale="en-US")
    sign_in(page)
    page.goto(f"{BASE}/open-text?lang=en")
    answer = page.locator(f"#answer-{arabic} blockquote")
    assert answer.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    assert axe_violations(page) == []
    page.goto(f"{BASE}/open-text?lang=ar")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    quote = page.locator(f"#quote-{turkish} blockquote")
    assert quote.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert axe_violations(page) == []
    for url in ("/reports/published?lang=en", "/reports/published/1?lang=ar"):
        page.goto(BASE + url)
        assert axe_violations(page) == [], url
    with page.expect_navigation():
        page.locator("main form button.button--secondary").click()
    assert page.locator("#check").is_visible()
    assert axe_violations(page) == []
