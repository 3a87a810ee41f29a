"""The home page and the site layout."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask.testing import FlaskClient

from consult.models import ConsultationState, utcnow

pytestmark = pytest.mark.db

STATIC = Path(__file__).resolve().parents[2] / "consult" / "static"
TEMPLATES = Path(__file__).resolve().parents[2] / "consult" / "templates"


def test_home_lists_only_open_consultations_in_schedule(client, add_consultation) -> None:
    now = utcnow()
    add_consultation("open-now")
    add_consultation("open-no-closing", closes_at=None)
    add_consultation("a-draft", state=ConsultationState.DRAFT)
    add_consultation("already-closed", state=ConsultationState.CLOSED)
    add_consultation("archived", state=ConsultationState.ARCHIVED)
    add_consultation("opens-tomorrow", opens_at=now + timedelta(days=1))
    add_consultation(
        "closed-yesterday", opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1)
    )

    html = client.get("/?lang=en").get_data(as_text=True)

    assert 'href="/c/open-now"' in html
    assert 'href="/c/open-no-closing"' in html
    for slug in ("a-draft", "already-closed", "archived", "opens-tomorrow", "closed-yesterday"):
        assert slug not in html
    assert "2 consultations are open now." in html


def test_home_shows_title_organiser_description_and_closing_date(client, add_consultation) -> None:
    closes_at = utcnow() + timedelta(days=12)
    add_consultation("migration-action-plan", closes_at=closes_at, is_demo=True)

    for language, title, organiser, description, badge, closes in [
        (
            "en",
            "Migration and Social Cohesion Action Plan",
            "Istanbul Metropolitan Municipality",
            "Let us set the priorities of the actions together.",
            "Demo data",
            "Closes",
        ),
        (
            "tr",
            "Göç ve Sosyal Uyum Eylem Planı",
            "İstanbul Büyükşehir Belediyesi",
            "Eylemlerin önceliklerini birlikte belirleyelim.",
            "Örnek veri",
            "Kapanış tarihi",
        ),
        (
            "ar",
            "خطة عمل الهجرة والتماسك الاجتماعي",
            "بلدية إسطنبول الكبرى",
            "لنحدد أولويات الإجراءات معًا.",
            "بيانات تجريبية",
            "تاريخ الإغلاق",
        ),
    ]:
        html = client.get(f"/?lang={language}").get_data(as_text=True)
        assert f'<a href="/c/migration-action-plan">{title} (migration-action-plan)</a>' in html
        assert organiser in html
        assert description in html
        assert f'<p class="badge">{badge}</p>' in html
        assert f"<dt>{closes}</dt>" in html
        local = closes_at.astimezone(ZoneInfo("Europe/Istanbul"))
        assert format_date(local, "long", locale=language) in html
        assert f'datetime="{closes_at.isoformat(timespec="seconds")}"' in html


def test_home_without_closing_date_and_without_demo_badge(client, add_consultation) -> None:
    add_consultation("open-ended", closes_at=None)

    html = client.get("/?lang=en").get_data(as_text=True)

    assert "Open until further notice" in html
    assert "Demo data" not in html
    assert "1 consultation is open now." in html


def test_home_falls_back_to_the_consultation_default_language(client, add_consultation) -> None:
    add_consultation(
        "turkish-only",
        title={"tr": "Yalnızca Türkçe", "ar": "  "},
        description={},
        organiser={"en": "Only in English"},
    )

    html = client.get("/?lang=ar").get_data(as_text=True)

    # the Turkish title is shown, and marked as Turkish so screen readers pronounce it right
    assert '<a href="/c/turkish-only" lang="tr" dir="ltr">Yalnızca Türkçe</a>' in html
    assert '<dd lang="en" dir="ltr">Only in English</dd>' in html
    assert "consultation__description" not in html


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("tr", "Şu anda açık istişare bulunmuyor."),
        ("en", "There are no open consultations at the moment."),
        ("ar", "لا توجد مشاورات مفتوحة في الوقت الحالي."),
    ],
)
def test_home_empty_state(client: FlaskClient, language: str, message: str) -> None:
    response = client.get(f"/?lang={language}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert "consultation-list" not in html


def test_layout_landmarks_skip_link_and_switcher(client: FlaskClient) -> None:
    html = client.get("/?lang=en").get_data(as_text=True)

    body = html.split("<body>", 1)[1].lstrip()
    assert body.startswith('<a class="skip-link" href="#main">Skip to main content</a>')
    assert '<main id="main" class="container" tabindex="-1">' in html
    assert '<header class="site-header">' in html
    assert '<footer class="site-footer">' in html
    assert '<nav class="language-switcher" aria-label="Language">' in html
    assert '<a href="?lang=tr" hreflang="tr" lang="tr" dir="ltr">Türkçe</a>' in html
    assert (
        '<a href="?lang=en" hreflang="en" lang="en" dir="ltr" aria-current="true">English</a>'
        in html
    )
    assert '<a href="?lang=ar" hreflang="ar" lang="ar" dir="rtl">العربية</a>' in html
    assert html.count("aria-current") == 1


@pytest.mark.parametrize("path", ["/", "/?lang=ar", "/no-such-page"])
def test_pages_have_no_inline_script_or_style(client: FlaskClient, path: str) -> None:
    html = client.get(path).get_data(as_text=True)

    assert "<script" not in html
    assert "<style" not in html
    assert "style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers


def test_templates_have_no_inline_script_or_style() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert re.search(r"\ssrc=", tag), (template, tag)  # external scripts only
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", text), template  # nothing inline
        assert re.search(r"\son[a-z]+\s*=", text) is None, template  # no event handlers
        assert "style=" not in text, template
        assert "<style" not in text, template


def test_stylesheet_uses_logical_properties_only() -> None:
    css = (STATIC / "css" / "consult.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)

    physical = re.findall(
        r"(?:^|[\s;{])((?:margin|padding|border)-(?:left|right|top|bottom)[\w-]*|"
        r"(?:left|right|top|bottom)\s*:|(?:text-align|float|clear)\s*:\s*(?:left|right)|"
        r"(?:min-|max-)?(?:width|height)\s*:)",
        css,
        flags=re.M,
    )
    assert physical == []


def test_static_files_are_served(client: FlaskClient) -> None:
    for path in (
        "/static/css/consult.css",
        "/static/fonts/NotoSansArabic-Regular.woff2",
        "/static/fonts/NotoSansArabic-Bold.woff2",
        "/static/favicon.svg",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.data, path
        response.close()


def test_healthz_round_trip(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
