"""Language selection, text direction and the translation catalogs."""

from __future__ import annotations

import re

import pytest
from babel.messages.plurals import get_plural
from flask.testing import FlaskClient

from consult.i18n import language_name, normalize_language, text_direction
from tests.web.catalogs import (
    LANGUAGES,
    TRANSLATIONS,
    read_catalog,
    source_msgids,
    stale_catalogs,
)

HEADINGS = {
    "tr": "<h1>Açık istişareler</h1>",
    "en": "<h1>Open consultations</h1>",
    "ar": "<h1>المشاورات المفتوحة</h1>",
}


def page_language(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]*)" dir="([^"]*)">', html)
    assert match is not None
    return match.group(1), match.group(2)


def get(client: FlaskClient, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.db
class TestLanguageSelection:
    def test_default_language_without_any_hint(self, client: FlaskClient) -> None:
        html = get(client, "/")
        assert page_language(html) == ("tr", "ltr")
        assert HEADINGS["tr"] in html

    @pytest.mark.parametrize("language", ["tr", "en", "ar"])
    def test_lang_query_switches_language(self, client: FlaskClient, language: str) -> None:
        html = get(client, f"/?lang={language}")
        assert page_language(html) == (language, "rtl" if language == "ar" else "ltr")
        assert HEADINGS[language] in html
        current = (
            f'hreflang="{language}" lang="{language}" dir="{text_direction(language)}" '
            'aria-current="true"'
        )
        assert current in html

    def test_arabic_is_right_to_left_with_arabic_strings(self, client: FlaskClient) -> None:
        html = get(client, "/?lang=ar")
        assert '<html lang="ar" dir="rtl">' in html
        assert '<a class="skip-link" href="#main">انتقل إلى المحتوى الرئيسي</a>' in html
        assert 'aria-label="اللغة"' in html
        assert "<title>المشاورات المفتوحة · Consult</title>" in html

    def test_choice_is_remembered_across_requests(self, client: FlaskClient) -> None:
        get(client, "/?lang=ar")
        with client.session_transaction() as session:
            assert session["lang"] == "ar"
        # remembered, and stronger than the browser's preference
        html = get(client, "/", **{"Accept-Language": "en"})
        assert page_language(html) == ("ar", "rtl")
        # error pages too
        not_found = client.get("/no-such-page").get_data(as_text=True)
        assert page_language(not_found) == ("ar", "rtl")
        # a new choice replaces the old one
        get(client, "/?lang=en")
        html = get(client, "/")
        assert page_language(html) == ("en", "ltr")
        assert HEADINGS["en"] in html

    def test_choice_is_remembered_from_any_url(self, client: FlaskClient) -> None:
        assert client.get("/healthz?lang=en").status_code == 200
        assert page_language(get(client, "/")) == ("en", "ltr")

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("ar-SA,ar;q=0.9,en;q=0.5", "ar"),
            ("en-GB,en;q=0.9", "en"),
            ("de-DE,de;q=0.9,en;q=0.6,tr;q=0.4", "en"),
            ("fr-FR,fr;q=0.9", "tr"),
            ("", "tr"),
        ],
    )
    def test_accept_language(self, client: FlaskClient, header: str, expected: str) -> None:
        html = get(client, "/", **{"Accept-Language": header})
        assert page_language(html)[0] == expected
        assert HEADINGS[expected] in html

    @pytest.mark.parametrize(
        "value", ["xx", "", "de", "english", "../../etc/passwd", "ar\x00", "<script>", "a" * 300]
    )
    def test_unknown_lang_is_ignored(self, client: FlaskClient, value: str) -> None:
        response = client.get("/", query_string={"lang": value})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert page_language(html) == ("tr", "ltr")
        with client.session_transaction() as session:
            assert "lang" not in session

    def test_unknown_lang_keeps_the_remembered_choice(self, client: FlaskClient) -> None:
        get(client, "/?lang=ar")
        html = get(client, "/?lang=xx", **{"Accept-Language": "en"})
        assert page_language(html) == ("ar", "rtl")
        with client.session_transaction() as session:
            assert session["lang"] == "ar"

    def test_unknown_lang_falls_back_to_accept_language(self, client: FlaskClient) -> None:
        html = get(client, "/?lang=xx", **{"Accept-Language": "ar"})
        assert page_language(html) == ("ar", "rtl")

    @pytest.mark.parametrize("value", ["AR", "ar-EG", "ar_EG", " en ", "EN-gb"])
    def test_lang_ignores_case_and_region(self, client: FlaskClient, value: str) -> None:
        html = client.get("/", query_string={"lang": value}).get_data(as_text=True)
        assert page_language(html)[0] == value.strip()[:2].lower()

    def test_switcher_links_keep_other_query_arguments(self, client: FlaskClient) -> None:
        html = get(client, "/?page=2&lang=en")
        assert 'href="?page=2&amp;lang=ar" hreflang="ar"' in html
        assert 'href="?page=2&amp;lang=tr" hreflang="tr"' in html

    def test_pages_vary_on_accept_language(self, client: FlaskClient) -> None:
        assert "Accept-Language" in client.get("/").headers["Vary"]
        assert "Accept-Language" in client.get("/nowhere").headers["Vary"]
        static = client.get("/static/css/consult.css")
        assert "Accept-Language" not in static.headers.get("Vary", "")
        static.close()


def test_normalize_language() -> None:
    supported = ("tr", "en", "ar")
    assert normalize_language("ar", supported) == "ar"
    assert normalize_language("AR-eg", supported) == "ar"
    assert normalize_language("fa", supported) is None
    assert normalize_language(None, supported) is None
    assert normalize_language("", supported) is None


def test_directions_and_names() -> None:
    assert [text_direction(c) for c in ("tr", "en", "ar", "fa")] == ["ltr", "ltr", "rtl", "rtl"]
    assert [language_name(c) for c in ("tr", "en", "ar")] == ["Türkçe", "English", "العربية"]


class TestCatalogs:
    """Every msgid is translated in tr, en and ar; nothing fuzzy; plural forms right."""

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_catalog_is_complete_and_not_fuzzy(self, language: str) -> None:
        catalog = read_catalog(language)
        problems = []
        for message in catalog:
            if not message.id:
                continue
            if message.fuzzy:
                problems.append(f"fuzzy: {message.id!r}")
            strings = message.string if message.pluralizable else (message.string,)
            if message.pluralizable and len(strings) != catalog.num_plurals:
                problems.append(f"{len(strings)} plural forms: {message.id!r}")
            if not all(s and s.strip() for s in strings):
                problems.append(f"untranslated: {message.id!r}")
        problems += [f"{m.id!r}: {errors}" for m, errors in catalog.check()]
        assert problems == []

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_catalog_covers_every_msgid_of_the_source(self, language: str) -> None:
        ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_catalog(language)}
        missing = sorted(map(str, source_msgids() - ids))
        assert missing == [], (
            f"run pybabel extract + update (see the translations README): {missing}"
        )

    def test_template_covers_every_msgid_of_the_source(self) -> None:
        from babel.messages.pofile import read_po

        with (TRANSLATIONS / "messages.pot").open("rb") as f:
            ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(f)}
        assert sorted(map(str, source_msgids() - ids)) == []

    def test_plural_forms_headers(self) -> None:
        for language in LANGUAGES:
            catalog = read_catalog(language)
            assert catalog.plural_forms == get_plural(language).plural_forms
        assert read_catalog("ar").num_plurals == 6

    def test_compiled_catalogs_match_the_po_files(self) -> None:
        assert stale_catalogs() == []
