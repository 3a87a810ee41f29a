"""Acceptance of the facilitator workspace: in a real browser, a facilitator signs in, creates a
consultation, builds a two-question questionnaire, translates it, opens it — and a participant
answers it in the other language. Nothing is prepared in the database but the account."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from consult.models import Answer, Consultation, ConsultationState, Response, ResponseState
from consult.security import user_datastore
from consult.services.users import create_user

pytestmark = [pytest.mark.browser, pytest.mark.db]

EMAIL = "facilitator@example.org"
PASSWORD = "a long enough passphrase"
SLUG = "youth-council"


def save(page: Any) -> None:
    """Press the form's main button and wait for the next page."""
    with page.expect_navigation():
        page.locator("main form button[type=submit].button").last.click()
    errors = page.locator(".error-summary")
    assert errors.count() == 0, errors.inner_text()


def read(session: Any, query: Any) -> Any:
    session.expire_all()
    rows = session.execute(query).all()
    session.rollback()
    return rows


def test_facilitator_builds_translates_opens_and_a_participant_answers(
    participant_page: Any, session: Any
) -> None:
    create_user(session, user_datastore, EMAIL, "facilitator", PASSWORD)
    session.commit()
    page = participant_page(locale="en-US")

    # sign in
    page.goto("/account/login?lang=en")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    # create the consultation in English (Arabic comes later)
    page.goto("/manage/consultations/new?lang=en")
    page.fill("input[name=slug]", SLUG)
    page.locator("input[name=languages][value=en]").check()
    page.locator("input[name=languages][value=ar]").check()
    for other in ("tr",):
        box = page.locator(f"input[name=languages][value={other}]")
        if box.is_checked():
            box.uncheck()
    page.select_option("select[name=default_language]", "en")
    page.locator("input[name=anonymity][value=anonymous]").check()
    page.locator("input[name=open_link]").check()
    page.fill("input[name=title_en]", "Youth council survey")
    page.fill("textarea[name=organiser_en]", "Youth department")
    page.fill("textarea[name=privacy_notice_en]", "We keep no names.")
    save(page)
    assert f"/manage/consultations/{SLUG}" in page.url

    # a section and two questions
    page.goto(f"/manage/consultations/{SLUG}/questionnaire/sections/new?lang=en")
    page.fill("input[name=code]", "about")
    page.fill("input[name=title_en]", "About your organisation")
    save(page)
    section_link = page.locator("a", has_text="Add a question to this section").first
    section_url = section_link.get_attribute("href")
    page.goto(section_url + "?type=single_choice&lang=en")
    page.fill("input[name=code]", "kind")
    page.fill("textarea[name=text_en]", "What kind of organisation are you?")
    page.locator("input[name=required]").check()
    page.fill("input[name=opt_0_code]", "ngo")
    page.fill("input[name=opt_0_label_en]", "An NGO")
    page.fill("input[name=opt_1_code]", "city")
    page.fill("input[name=opt_1_label_en]", "A municipality")
    save(page)
    page.goto(section_url + "?type=long_text&lang=en")
    page.fill("input[name=code]", "idea")
    page.fill("textarea[name=text_en]", "What should the city do first?")
    save(page)

    # opening is refused while the Arabic texts are missing, with the list
    page.goto(f"/manage/consultations/{SLUG}?lang=en")
    with page.expect_navigation():
        page.locator("button", has_text="Open for answers").click()
    assert "Missing" in page.content() or "missing" in page.content()
    assert read(session, select(Consultation.state).where(Consultation.slug == SLUG)) == [
        (ConsultationState.DRAFT,)
    ]

    # translate: the translation view links every missing text to its form
    page.goto(f"/manage/consultations/{SLUG}/translations?lang=en")
    with page.expect_navigation():
        page.locator("tr", has_text="organiser").locator("a", has_text="Edit").click()
    assert page.url.split("?")[0].endswith(f"/manage/consultations/{SLUG}/settings")
    page.fill("input[name=title_ar]", "استبيان مجلس الشباب")
    page.fill("textarea[name=organiser_ar]", "إدارة الشباب")
    page.fill("textarea[name=privacy_notice_ar]", "لا نحتفظ بالأسماء.")
    save(page)
    page.goto(f"/manage/consultations/{SLUG}/translations?lang=en")
    edit_links = [
        a.get_attribute("href")
        for a in page.locator("table a", has_text="Edit").all()
        if "/questionnaire/" in (a.get_attribute("href") or "")
    ]
    for href in dict.fromkeys(edit_links):
        page.goto(href + "?lang=en")
        if page.locator("input[name=title_ar]").count():
            page.fill("input[name=title_ar]", "عن مؤسستك")
        if page.locator("textarea[name=text_ar]").count():
            code = page.locator("input[name=code]").input_value()
            text = "ما نوع مؤسستك؟" if code == "kind" else "ماذا يجب أن تفعل المدينة أولاً؟"
            page.fill("textarea[name=text_ar]", text)
        if page.locator("input[name=opt_0_label_ar]").count():
            page.fill("input[name=opt_0_label_ar]", "منظمة غير حكومية")
            page.fill("input[name=opt_1_label_ar]", "بلدية")
        save(page)
    page.goto(f"/manage/consultations/{SLUG}/translations?lang=en")
    missing = page.locator("tr", has=page.locator(".tag--missing")).all_inner_texts()
    assert "No translation is missing." in page.content(), missing

    # open it
    page.goto(f"/manage/consultations/{SLUG}?lang=en")
    with page.expect_navigation():
        page.locator("button", has_text="Open for answers").click()
    assert read(session, select(Consultation.state).where(Consultation.slug == SLUG)) == [
        (ConsultationState.OPEN,)
    ]

    # a participant answers it in Arabic, in another browser context
    participant = participant_page(locale="ar")
    participant.goto(f"/c/{SLUG}?lang=ar")
    assert participant.locator("html").get_attribute("dir") == "rtl"
    assert "استبيان مجلس الشباب" in participant.content()
    participant.locator("#consent").check()
    with participant.expect_navigation():
        participant.locator("form .button--start").click()
    participant.get_by_label("بلدية").check()
    participant.locator("textarea").fill("مراكز شبابية في كل حي")
    with participant.expect_navigation():
        participant.locator("button[name=action][value=continue]").click()
    assert participant.url.endswith("/review"), participant.url
    with participant.expect_navigation():
        participant.locator(".submit-form button[type=submit]").click()
    assert participant.url.endswith("/done")

    responses = read(
        session,
        select(Response.id, Response.language).where(Response.state == ResponseState.SUBMITTED),
    )
    assert [language for _, language in responses] == ["ar"]
    texts = read(session, select(Answer.text).where(Answer.response_id == responses[0][0]))
    assert ("مراكز شبابية في كل حي",) in texts
