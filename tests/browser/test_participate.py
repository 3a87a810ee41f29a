"""The participant's survey in a real browser: the demo in Arabic with and without JavaScript,
keyboard only (ranking included), right-to-left geometry, a 360 px phone, every question type."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from consult.models import Answer, Question, Response, ResponseState
from consult.questions import type_names
from consult.services.demo import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.db]

DEMO = "migration-action-plan"
QUESTION_TYPES = "question-types"


@pytest.fixture
def demo(session: Any) -> str:
    load_demo(session, responses=0)
    session.commit()
    return DEMO


@pytest.fixture
def question_types(session: Any) -> str:
    from consult.services.demo_question_types import load_question_types_demo

    load_question_types_demo(session)
    session.commit()
    return QUESTION_TYPES


def read(session: Any, query: Any) -> Any:
    """Read from the test's side, then end the transaction (the server must be able to write)."""
    session.expire_all()
    value = session.execute(query).all()
    session.rollback()
    return value


def submitted(session: Any) -> list[Any]:
    return [
        row[0]
        for row in read(session, select(Response).where(Response.state == ResponseState.SUBMITTED))
    ]


# --- filling pages with the mouse --------------------------------------------------------------

CONTROLS = """() => {
  const out = {radios: {}, checkboxes: {}, selects: {}, points: {}, numbers: [], texts: []};
  for (const el of document.querySelectorAll("form input, form select, form textarea")) {
    if (!el.name || !el.name.startsWith("q-")) continue;
    const add = (map, key) => (map[key] = map[key] || []).push(el.id);
    if (el.type === "radio") add(out.radios, el.name);
    else if (el.type === "checkbox") add(out.checkboxes, el.name);
    else if (el.tagName === "SELECT") {
      const group = el.name.replace(/-[^-]+$/, "");
      (out.selects[group] = out.selects[group] || []).push(el.id);
    } else if (el.classList.contains("input--points")) {
      const group = el.name.replace(/-[^-]+$/, "");
      (out.points[group] = out.points[group] || []).push(el.id);
    } else if (el.classList.contains("input--number")) out.numbers.push(el.id);
    else out.texts.push(el.id);
  }
  return out;
}"""


def submit(page: Any, target: Any) -> None:
    """Click a submit button and wait for the next page (also when the URL stays the same)."""
    page.evaluate("window.__beforeSubmit = true")
    (page.locator(target) if isinstance(target, str) else target).click()
    page.wait_for_function("() => window.__beforeSubmit === undefined")
    page.wait_for_load_state()


CONTINUE = "button[name=action][value=continue]"


def css_id(element_id: str) -> str:
    return "#" + re.sub(r"([^\w-])", r"\\\1", element_id)


def answer_page(page: Any, *, text: str = "نص تجريبي", javascript: bool = True) -> None:
    """Answer every question on the page as a mouse user would."""
    found = page.evaluate(CONTROLS)
    for name, ids in found["radios"].items():
        page.check(css_id(ids[-1] if name.endswith("-worst") else ids[0]))
    for ids in found["checkboxes"].values():
        page.check(css_id(ids[0]))
    for ids in found["selects"].values():
        question = page.locator(css_id(ids[0])).locator("xpath=ancestor::div[@data-ranking]")
        k = int(question.get_attribute("data-k"))
        if javascript:
            for _ in range(k):
                question.locator(".ranking__pool .ranking__button[data-action=add]").first.click()
            assert question.locator(".ranking__list > li").count() == k
        else:
            for rank, element_id in enumerate(ids[:k], start=1):
                page.select_option(css_id(element_id), str(rank))
    for ids in found["points"].values():
        budget = page.locator(css_id(ids[0])).locator("xpath=ancestor::div[@data-points]")
        page.fill(css_id(ids[0]), budget.get_attribute("data-budget"))
        for element_id in ids[1:]:
            page.fill(css_id(element_id), "0")
    for element_id in found["numbers"]:
        page.fill(css_id(element_id), "٤٢")  # Arabic-Indic digits are understood
    for element_id in found["texts"]:
        page.fill(css_id(element_id), text)


def complete_survey(page: Any, slug: str, language: str, *, javascript: bool = True) -> str:
    """Landing to thank-you with the mouse; returns the receipt code."""
    page.goto(f"/c/{slug}?lang={language}")
    page.locator("#consent").check()
    page.locator("form .button--start").click()
    while "/page/" in page.url:
        answer_page(page, javascript=javascript)
        submit(page, CONTINUE)
        assert page.locator(".error-summary").count() == 0, page.locator(
            ".error-summary"
        ).inner_text()
    assert page.url.endswith("/review")
    page.locator(".submit-form button[type=submit]").click()
    page.wait_for_url("**/done")
    return page.locator(".receipt").inner_text()


# --- the demo in Arabic -------------------------------------------------------------------------


def test_demo_in_arabic_with_javascript(participant_page, demo, session) -> None:
    page = participant_page(locale="ar", width=360, height=740)
    page.goto(f"/c/{demo}?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() == "خطة عمل الهجرة والتماسك الاجتماعي 2020–2024"

    # consent is required: the error summary is announced and focused
    page.locator("form .button--start").click()
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    assert page.locator(".error-summary h2").inner_text() == "هناك مشكلة"
    page.locator(".error-summary a").click()
    page.wait_for_function("() => document.activeElement.id === 'consent'")
    page.locator("#consent").check()
    page.locator("form .button--start").click()
    page.wait_for_url("**/page/1")
    assert page.locator(".progress__text").inner_text() == "الخطوة 1 من 5"
    assert page.locator(".resume__link a").inner_text().startswith("http://127.0.0.1")

    while "/page/" in page.url:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url
        if page.locator("[data-ranking]").count():
            ranking = page.locator("[data-ranking]")
            assert ranking.locator(".ranking__fallback").is_hidden()
            assert ranking.locator(".ranking__heading").first.inner_text() == "ترتيبك"
            # an error about the ranking links to its (hidden) selector: the link focuses the
            # ranking's first button instead
            submit(page, CONTINUE)
            page.locator(".error-summary a", has_text="رتّب 5 بنود.").click()
            assert focused(page)["action"] == "add"
        answer_page(page)
        submit(page, CONTINUE)
    assert page.locator("h1").inner_text() == "راجع إجاباتك قبل إرسالها"
    assert page.locator(".summary-list__row").count() == 6
    page.locator(".submit-form button[type=submit]").click()
    page.wait_for_url("**/done")
    receipt = page.locator(".receipt").inner_text()
    assert page.locator("h1").inner_text() == "شكرًا لك: أُرسلت إجاباتك"

    (response,) = submitted(session)
    assert response.receipt_code == receipt
    assert response.language == "ar"
    ranks = read(
        session,
        select(Answer.number)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.code == "top5_actions"),
    )
    assert sorted(r[0] for r in ranks) == [1, 2, 3, 4, 5]
    comment = read(session, select(Answer.text).where(Answer.text.is_not(None)))
    assert comment == [("نص تجريبي",)]


def test_demo_in_arabic_without_javascript(participant_page, demo, session) -> None:
    page = participant_page(locale="ar", javascript=False)
    page.goto(f"/c/{demo}?lang=ar")
    page.locator("#consent").check()
    page.locator("form .button--start").click()
    page.wait_for_url("**/page/1")

    # errors without JavaScript: the summary's links still lead to the controls
    submit(page, CONTINUE)
    assert page.locator(".error-summary").is_visible()
    page.locator(".error-summary a").first.click()
    assert page.url.endswith("#q-stakeholder_group-district_municipality")

    answer_page(page, javascript=False)
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/page/2")
    answer_page(page, javascript=False)
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/page/3")
    # the ranking is a rank selector per item; a duplicate rank is refused with a message
    assert page.locator(".ranking--enhanced").count() == 0
    answer_page(page, javascript=False)
    selects = page.locator(".ranking__select")
    selects.nth(1).select_option("1")
    submit(page, CONTINUE)
    assert "المرتبة 1 مُعطاة لأكثر من بند" in page.locator(".error-summary").inner_text()
    assert selects.nth(0).input_value() == "1"  # what was typed is kept
    assert selects.nth(1).input_value() == "1"
    selects.nth(1).select_option("2")
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/page/4")
    # Back keeps what was typed on this page, even though nothing is required here
    page.fill("#q-comments", "ملاحظة")
    page.locator("button[name=action][value=back]").click()
    page.wait_for_url("**/page/3")
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/page/4")
    assert page.locator("#q-comments").input_value() == "ملاحظة"
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/review")
    page.locator(".submit-form button[type=submit]").click()
    page.wait_for_url("**/done")

    (response,) = submitted(session)
    assert page.locator(".receipt").inner_text() == response.receipt_code


def test_right_to_left_layout_is_mirrored(participant_page, demo) -> None:
    page = participant_page(locale="ar", width=800)
    page.goto(f"/c/{demo}?lang=ar")
    page.locator("#consent").check()
    page.locator("form .button--start").click()
    page.wait_for_url("**/page/1")
    answer_page(page)
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/page/2")

    steps = page.locator(".progress__step")
    first, last = steps.first.bounding_box(), steps.last.bounding_box()
    assert first["x"] > last["x"]  # step 1 on the right
    assert "progress__step--done" in steps.first.get_attribute("class")
    forward = page.locator("button[name=action][value=continue]").bounding_box()
    back = page.locator("button[name=action][value=back]").bounding_box()
    assert forward["x"] > back["x"]  # the primary button on the start (right) side

    answer_page(page)
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/page/3")
    add = page.locator(".ranking__pool .ranking__button[data-action=add]").first
    add.click()
    item = page.locator(".ranking__list .ranking__item").first
    name = item.locator(".ranking__name").bounding_box()
    buttons = item.locator(".ranking__buttons").bounding_box()
    position = item.locator(".ranking__position").bounding_box()
    assert position["x"] > name["x"] > buttons["x"]  # rank, then name, then buttons, from the right


# --- keyboard only ------------------------------------------------------------------------------


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const e = document.activeElement;
        return {id: e.id, tag: e.tagName, name: e.name || "", type: e.type || "",
                text: e.textContent.trim(), action: e.getAttribute("data-action") || "",
                value: e.value || ""}; }"""
    )


def tab_until(page: Any, test, limit: int = 400) -> dict[str, Any]:
    """Press Tab until the focused element passes ``test``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if test(element):
            return element
    raise AssertionError("never reached by Tab")


def test_keyboard_only_completion_with_ranking(participant_page, demo, session) -> None:
    page = participant_page()
    page.goto(f"/c/{demo}?lang=en")
    tab_until(page, lambda e: e["id"] == "consent")
    page.keyboard.press("Space")
    tab_until(page, lambda e: e["tag"] == "BUTTON")
    page.keyboard.press("Enter")
    page.wait_for_url("**/page/1")

    def radio_groups() -> None:
        """Tab into each radio group in turn and choose with the keyboard."""
        names = page.evaluate(
            "[...new Set([...document.querySelectorAll('form input[type=radio]')]"
            ".map(e => e.name))]"
        )
        for name in names:
            tab_until(page, lambda e, n=name: e["name"] == n)
            page.keyboard.press("ArrowDown")  # moves to the next radio and checks it
            page.keyboard.press("Space")

    def continue_() -> None:
        tab_until(page, lambda e: e["value"] == "continue")
        page.keyboard.press("Enter")
        page.wait_for_load_state()

    radio_groups()
    continue_()
    page.wait_for_url("**/page/2")
    radio_groups()
    continue_()
    page.wait_for_url("**/page/3")
    radio_groups()

    # the ranking with its buttons: Add five items, each Add moves focus to the next Add
    tab_until(page, lambda e: e["action"] == "add")
    for _ in range(5):
        assert focused(page)["action"] == "add"
        page.keyboard.press("Enter")
    status = page.locator(".ranking [role=status]")
    # the ranking is full: focus is on the fifth item's "Move up"; move it up twice
    assert focused(page)["action"] == "up"
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    page.wait_for_function(
        "() => document.querySelector('.ranking [role=status]').textContent"
        ".includes('is now rank 3')"
    )
    assert "is now rank 3." in status.inner_text()
    assert focused(page)["action"] == "up"  # focus stays with the moved item
    # a sixth item cannot be added: the Add buttons say so instead
    tab_until(page, lambda e: e["action"] == "add")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.ranking [role=status]').textContent.includes('remove one')"
    )
    ranks = page.evaluate("[...document.querySelectorAll('.ranking__select')].map(s => s.value)")
    assert sorted(r for r in ranks if r) == ["1", "2", "3", "4", "5"]
    continue_()
    page.wait_for_url("**/page/4")
    tab_until(page, lambda e: e["id"] == "q-comments")
    page.keyboard.type("Typed with the keyboard only.")
    continue_()
    page.wait_for_url("**/review")
    tab_until(page, lambda e: e["tag"] == "BUTTON" and "Send" in e["text"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/done")

    (response,) = submitted(session)
    assert page.locator(".receipt").inner_text() == response.receipt_code
    moved = read(
        session,
        select(Answer.number)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.code == "top5_actions")
        .order_by(Answer.number),
    )
    assert [r[0] for r in moved] == [1, 2, 3, 4, 5]


def test_ranking_by_drag_and_drop(participant_page, demo) -> None:
    page = participant_page()
    page.goto(f"/c/{demo}?lang=en")
    page.locator("#consent").check()
    page.locator("form .button--start").click()
    page.wait_for_url("**/page/1")
    url = page.url.replace("/page/1", "/page/3")
    page.goto(url)
    pool = page.locator(".ranking__pool .ranking__item")
    ranked = page.locator(".ranking__list")
    pool.nth(2).drag_to(ranked)
    pool.nth(0).drag_to(page.locator(".ranking__list .ranking__item").first)
    names = page.locator(".ranking__list .ranking__name").all_inner_texts()
    assert len(names) == 2
    assert "A standing migration advisory board" in names[0]
    values = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.ranking__select')]"
        ".filter(s => s.value).map(s => [s.name, s.value]))"
    )
    assert values == {
        "q-top5_actions-advisory_board": "1",
        "q-top5_actions-joint_fundraising": "2",
    }


# --- every question type -----------------------------------------------------------------------


def test_question_types_on_a_360_px_phone(participant_page, question_types, session) -> None:
    page = participant_page(width=360, height=740, locale="ar")
    page.goto(f"/c/{question_types}?lang=ar")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#consent").check()
    page.locator("form .button--start").click()
    page.wait_for_url("**/page/1")
    seen = set()
    while "/page/" in page.url:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url
        seen |= set(
            page.evaluate("[...document.querySelectorAll('.question')].map(q => q.id.slice(9))")
        )
        if page.locator("[data-points]").count():
            answer_page(page)
            total = page.locator("[data-points-total]")
            assert total.is_visible()
            assert "وُزّعت كل النقاط." in total.inner_text()
            page.fill(".input--points >> nth=1", "5")
            assert "نقطة زائدة" in total.inner_text()
            page.fill(".input--points >> nth=1", "0")
        else:
            answer_page(page)
        submit(page, CONTINUE)
        assert page.locator(".error-summary").count() == 0
    assert seen == set(type_names())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator(".submit-form button[type=submit]").click()
    page.wait_for_url("**/done")
    (response,) = submitted(session)
    stored = read(
        session,
        select(Question.code, func.count(Answer.id))
        .join(Answer, Answer.question_id == Question.id)
        .where(Answer.response_id == response.id)
        .group_by(Question.code),
    )
    assert {code for code, _n in stored} == set(type_names())


def test_question_types_without_javascript(participant_page, question_types, session) -> None:
    page = participant_page(javascript=False)
    receipt = complete_survey(page, question_types, "en", javascript=False)
    (response,) = submitted(session)
    assert receipt == response.receipt_code
