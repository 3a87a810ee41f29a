"""The priority report of the demo (123 responses) in Turkish, English and Arabic, read back with
pypdf: a tagged PDF/UA document with a table of contents, page numbers and bookmarks, Arabic in
logical order and laid out right to left, Turkish letters intact, and the very numbers of the
priorities service (the results page's figures, formatted as the results page does)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from babel.numbers import format_decimal, format_percent
from flask_babel import force_locale
from pypdf import PdfReader
from pypdf.generic import BooleanObject

from consult.demo.content import CONSULTATION
from consult.extensions import db
from consult.models import Consultation
from consult.reports.pdf import report_pdf
from tests.reports.conftest import LANGUAGES, QUOTES, SLUG, Demo, Rendered, flatten

pytestmark = pytest.mark.db

SECTIONS = {
    "en": [
        "Executive summary",
        "Participation by group",
        "Priorities per objective",
        "Group comparison",
        "Challenge severity",
        "Selected comments",
        "Methods in plain language",
    ],
    "tr": [
        "Yönetici özeti",
        "Gruplara göre katılım",
        "Hedeflere göre öncelikler",
        "Grup karşılaştırması",
        "Zorlukların ciddiyeti",
        "Seçilmiş görüşler",
        "Yöntemler, sade bir dille",
    ],
    "ar": [
        "الملخص التنفيذي",
        "المشاركة حسب المجموعة",
        "الأولويات حسب الهدف",
        "مقارنة المجموعات",
        "خطورة التحديات",
        "تعليقات مختارة",
        "المنهجية بلغة بسيطة",
    ],
}
ARABIC_TITLE_WORDS = "خطة عمل الهجرة والتماسك الاجتماعي"


def compact(text: str) -> str:
    """Text without any whitespace: table cells and wrapped labels compare exactly."""
    return re.sub(r"\s+", "", text)


def score_format(items: list[dict[str, Any]], language: str):
    """The results page's number format for one question (3 decimals below 10, 2 below 100)."""
    largest = max(abs(i["score"]) for i in items)
    digits = 1 if largest >= 100 else 2 if largest >= 10 else 3
    return lambda v: format_decimal(v, format="#,##0." + "0" * digits, locale=language)


def table_row(item: dict[str, Any], fmt) -> str:
    ranks = (
        str(item["rank_ci_low"])
        if item["rank_ci_low"] == item["rank_ci_high"]
        else f"{item['rank_ci_low']} – {item['rank_ci_high']}"
    )
    return (
        f"{item['rank']} {item['label']} {fmt(item['score'])} "
        f"{fmt(item['ci_low'])} – {fmt(item['ci_high'])} {ranks}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_tagged_pdf_ua_document_in_the_language(demo: Demo, language: str) -> None:
    rendered = demo.rendered[language]
    root = rendered.reader.trailer["/Root"]

    assert rendered.pdf.startswith(b"%PDF-1.7")
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert root["/Lang"] == language
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()
    assert rendered.reader.metadata.title == CONSULTATION["title"][language]
    assert len(rendered.reader.pages) == rendered.report["pages"] > 5
    total = len(rendered.pages)
    for n, page in enumerate(rendered.pages[1:], start=2):  # the cover has no number
        # "2 / 13"; pypdf reads the right-to-left footer in visual order ("13 / 2")
        assert f"{n} / {total}" in page or (language == "ar" and f"{total} / {n}" in page)
    assert "\ufffd" not in rendered.text


@pytest.mark.parametrize("language", ["en", "tr"])
def test_the_table_of_contents_gives_each_sections_page(demo: Demo, language: str) -> None:
    rendered = demo.rendered[language]
    toc = {}
    for line in rendered.pages[1].splitlines():
        match = re.fullmatch(r"(.+?) ?\.{3,} ?(\d+)", line.strip())
        if match:
            toc[match.group(1)] = int(match.group(2))

    assert list(toc)[:2] == SECTIONS[language][:2]
    assert set(SECTIONS[language]) <= set(toc)
    for objective in rendered.report["objectives"]:
        assert objective["title"] in toc
    for title, page in toc.items():
        assert title in rendered.pages[page - 1], (title, page)
    for title in SECTIONS[language]:  # every section starts a page with its heading
        assert rendered.pages[toc[title] - 1].startswith(title), title
    outline = [entry for entry in rendered.reader.outline if not isinstance(entry, list)]
    assert [entry.title for entry in outline] == SECTIONS[language]


def test_arabic_is_in_logical_order_and_laid_out_right_to_left(demo: Demo) -> None:
    arabic, english = demo.rendered["ar"], demo.rendered["en"]

    assert ARABIC_TITLE_WORDS in arabic.pages[0]
    assert ARABIC_TITLE_WORDS[::-1] not in arabic.text
    assert arabic.reader.metadata.title == CONSULTATION["title"]["ar"]
    for heading in SECTIONS["ar"]:
        assert heading in arabic.text
    # the summary's heading starts at the right margin in Arabic, at the left one in English
    assert heading_x(arabic, "الملخص التنفيذي") > 400 > 60 > heading_x(english, "Executive")


def heading_x(rendered: Rendered, words: str) -> float:
    found: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], *_args: Any) -> None:
        if words in text:
            found.append(tm[4] * cm[0] + cm[4])

    rendered.reader.pages[2].extract_text(visitor_text=visit)
    assert found, words
    return found[0]


def test_turkish_letters_are_intact(demo: Demo) -> None:
    text = demo.rendered["tr"].text

    for word in [
        CONSULTATION["title"]["tr"],
        "İstanbul Büyükşehir Belediyesi",
        "Yönetici özeti",
        "Gruplara göre katılım",
        "Zorlukların ciddiyeti",
    ]:
        assert word in text
    for letter in "ğşıİçöüÖ":
        assert letter in text
    assert "(cid:" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_numbers_are_the_priorities_services(demo: Demo, language: str) -> None:
    rendered = demo.rendered[language]
    text = compact(rendered.text)
    for results in (rendered.priorities, rendered.challenges):
        fmt = score_format(results["items"], language)
        assert results["n_respondents"] == 123
        for item in results["items"]:
            assert compact(table_row(item, fmt)) in text, table_row(item, fmt)

    # the summary: the first-ranked action of every objective, with its score
    fmt = score_format(rendered.priorities["items"], language)
    firsts: dict[str, dict[str, Any]] = {}
    for item in rendered.priorities["items"]:
        firsts.setdefault(item["objective_title"], item)
    assert len(firsts) == 4
    summary = compact(rendered.pages[2])
    for objective, item in firsts.items():
        assert compact(f"{objective} {item['label']} {fmt(item['score'])}") in summary
    top = rendered.challenges["items"][0]
    assert compact(top["label"]) in summary
    assert fmt(top["score"]) in rendered.pages[2]


@pytest.mark.parametrize("language", ["en", "tr"])
def test_participation_by_group_is_the_services_count(demo: Demo, language: str) -> None:
    rendered = demo.rendered[language]
    counts = rendered.priorities["counts"]["by_group"]
    text = compact(rendered.text)

    assert sum(g["n"] for g in counts) == 123
    for group in counts:
        share = format_percent(group["n"] / 123, locale=language)
        assert compact(f"{group['label']} {group['n']} {share}") in text


def test_small_groups_are_named_without_figures(demo: Demo) -> None:
    """With k = 10 the donors (fewer than 10 respondents in the demo) are hidden."""
    with demo.app.app_context():
        consultation = db.session.query(Consultation).filter_by(slug=SLUG).one()
        consultation.min_group_size = 10
        with force_locale("en"):
            pdf, report = report_pdf(db.session, consultation, language="en")
        db.session.rollback()
    donors = next(g for g in demo.rendered["en"].priorities["groups"] if g["code"] == "donor")
    assert 5 <= donors["n"] < 10
    hidden = [row for row in report["participation"]["rows"] if row["hidden"]]
    assert [row["code"] for row in hidden] == ["donor"]
    assert "International donor institution" not in report["groups"]["columns"]
    reader_text = flatten(pdf_text(pdf))
    assert "International donor institution fewer than 10: not shown" in reader_text
    assert "Not shown because they have fewer than 10 respondents: International donor" in (
        reader_text
    )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_selected_quotes_are_printed_as_edited_in_their_language(demo: Demo, language: str) -> None:
    """Only the analysts' selected quotes, in their edited text; no other open answer."""
    from consult.demo.content import COMMENTS

    rendered = demo.rendered[language]
    languages = [q["lang"] for group in rendered.report["quotes"] for q in group["quotes"]]
    assert sorted(languages) == ["ar", "tr"]
    text = flatten(rendered.text)
    for quote in QUOTES.values():  # (pypdf moves a right-to-left sentence's final period)
        assert quote.rstrip(".") in text
    assert QUOTES["ar"].rstrip(".")[::-1] not in text
    for comments in COMMENTS.values():
        for comment in comments:
            assert comment not in text
    assert "No comments have been selected" not in text


def font_names(reader: PdfReader) -> set[str]:
    """The embedded fonts, without their subset prefix (``ABCDEF+``)."""
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[1])
    return names


def test_the_fonts_are_the_apps_own(demo: Demo) -> None:
    ours = {"Consult-Sans", "Consult-Sans-Bold", "Consult-Arabic", "Consult-Arabic-Bold"}
    for rendered in demo.rendered.values():
        assert "Consult-Sans" in font_names(rendered.reader) <= ours
    assert {"Consult-Arabic", "Consult-Arabic-Bold"} <= font_names(demo.rendered["ar"].reader)
