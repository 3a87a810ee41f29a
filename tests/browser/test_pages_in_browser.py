"""The pages in a real browser: right-to-left, language switcher, keyboard, axe-core, phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [pytest.mark.browser, pytest.mark.db]

AXE = Axe()


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations as readable lines (rule, impact, offending elements)."""
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in results.response["violations"]
    ]


def test_home_in_arabic_is_right_to_left(new_page, demo_consultation) -> None:
    page = new_page()
    page.goto("/?lang=ar")

    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl"
    assert html.get_attribute("lang") == "ar"
    assert page.locator("h1").inner_text() == "المشاورات المفتوحة"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # the link to the consultation is in Arabic and starts on the right
    link = page.get_by_role("link", name="خطة عمل الهجرة والتماسك الاجتماعي 2020–2024")
    assert link.get_attribute("href") == "/c/migration-action-plan"
    box = link.bounding_box()
    main = page.locator("main").bounding_box()
    assert box is not None
    assert main is not None
    gap_right = main["x"] + main["width"] - (box["x"] + box["width"])
    gap_left = box["x"] - main["x"]
    assert gap_right < gap_left


def test_language_switcher_by_clicking(new_page, demo_consultation) -> None:
    page = new_page(locale="tr-TR")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "tr"

    page.locator('nav a[hreflang="ar"]').click()
    page.wait_for_url("**/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator('nav a[aria-current="true"]').inner_text() == "العربية"

    # remembered: the plain address stays in Arabic
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "ar"

    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/?lang=en")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("h1").inner_text() == "Open consultations"


def test_skip_link_is_the_first_tab_stop(new_page, demo_consultation) -> None:
    page = new_page()
    page.goto("/?lang=en")

    page.keyboard.press("Tab")
    focused = page.evaluate(
        "({cls: document.activeElement.className, text: document.activeElement.textContent,"
        " width: document.activeElement.getBoundingClientRect().width})"
    )
    assert focused["cls"] == "skip-link"
    assert focused["text"] == "Skip to main content"
    assert focused["width"] > 100  # visible once focused

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == (
        "/c/migration-action-plan"
    )


@pytest.mark.parametrize("language", ["tr", "en", "ar"])
def test_home_has_no_axe_violations(new_page, demo_consultation, language: str) -> None:
    page = new_page()
    page.goto(f"/?lang={language}")
    page.evaluate("document.fonts.ready")

    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["tr", "en", "ar"])
def test_empty_home_and_404_have_no_axe_violations(new_page, language: str) -> None:
    page = new_page()
    page.goto(f"/?lang={language}")
    assert axe_violations(page) == []

    response = page.goto(f"/no/such/page?lang={language}")
    assert response is not None
    assert response.status == 404
    assert axe_violations(page) == []


def test_phone_screenshot_in_arabic(new_page, demo_consultation, tmp_path: Path) -> None:
    page = new_page(width=375, height=812)
    page.goto("/?lang=ar")
    page.evaluate("document.fonts.ready")

    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # the Arabic font face (local Noto Sans Arabic, else the shipped WOFF2) was loaded and used
    assert page.evaluate(
        "[...document.fonts].some(f => f.family.includes('Consult Arabic')"
        " && f.status === 'loaded')"
    )
    shot = tmp_path / "home-ar-375.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000
