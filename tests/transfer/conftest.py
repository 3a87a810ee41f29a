"""Fixtures for import and export: the two demo consultations and XLSForm workbooks."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from consult.models import Consultation
from consult.services.demo import load_demo
from consult.services.demo_question_types import load_question_types_demo

Rows = Sequence[Sequence[object]]


def by_slug(session, slug: str) -> Consultation | None:
    return session.scalar(select(Consultation).where(Consultation.slug == slug))


def make_xlsx(survey: Rows, choices: Rows = (), settings: Rows = ()) -> bytes:
    """An XLSForm workbook written with openpyxl, the way a spreadsheet program saves one."""
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(list(row))
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows:
            extra = book.create_sheet(title)
            for row in rows:
                extra.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def question_types(session) -> Consultation:
    """The ``question-types`` demo consultation (one question of every type)."""
    load_question_types_demo(session)
    return by_slug(session, "question-types")


@pytest.fixture
def action_plan(session) -> Consultation:
    """The ``migration-action-plan`` demo consultation, without responses."""
    load_demo(session, responses=0)
    return by_slug(session, "migration-action-plan")


LANGS = ["English (en)", "Türkçe (tr)", "العربية (ar)"]


def t3(en: str, tr: str, ar: str) -> list[str]:
    return [en, tr, ar]


KOBO_HEADER = [
    "type",
    "name",
    *[f"label::{lang}" for lang in LANGS],
    *[f"hint::{lang}" for lang in LANGS],
    "required",
    "relevant",
    "constraint",
    "constraint_message::English (en)",
    "appearance",
    "choice_filter",
    "calculation",
]


def kobo_row(type_: str, name: str, label=("", "", ""), hint=("", "", ""), **cols: str) -> list:
    extra = ["required", "relevant", "constraint", "message", "appearance", "filter", "calc"]
    return [type_, name, *label, *hint, *[cols.get(k, "") for k in extra]]


def kobo_form() -> bytes:
    """A needs-assessment form as KoboToolbox users write it: three languages, groups, skip
    logic, constraints, a choice filter, a table-list matrix, a calculation and a location."""
    survey = [
        KOBO_HEADER,
        kobo_row("start", "start"),
        kobo_row("end", "end"),
        kobo_row("begin_group", "profile", t3("About you", "Hakkınızda", "عنكم")),
        kobo_row(
            "note",
            "intro",
            t3("Tell us who you are.", "Bize kim olduğunuzu anlatın.", "أخبرونا من أنتم."),
        ),
        kobo_row(
            "select_one org_type",
            "org",
            t3("Organisation type", "Kuruluş türü", "نوع المنظمة"),
            t3("Choose one", "Birini seçin", "اختاروا واحدًا"),
            required="yes",
        ),
        kobo_row(
            "select_one district",
            "district",
            t3("District", "İlçe", "المنطقة"),
            filter="org=${org}",
        ),
        kobo_row(
            "integer",
            "staff",
            t3("How many staff?", "Kaç çalışan?", "كم عدد الموظفين؟"),
            required="true",
            relevant="${org} = 'ngo'",
            constraint=". >= 0 and . <= 10000",
            message="Between 0 and 10000",
        ),
        kobo_row("end_group", ""),
        kobo_row(
            "begin_group",
            "priorities",
            t3("Priorities", "Öncelikler", "الأولويات"),
            relevant="${org} != ''",
        ),
        kobo_row(
            "select_multiple topics",
            "topics",
            t3("Topics", "Konular", "المواضيع"),
            constraint="count-selected(.) <= 2",
        ),
        kobo_row("rank actions", "rank_actions", t3("Rank the actions", "Sıralayın", "رتّبوا")),
        kobo_row(
            "begin_group",
            "severity",
            t3("How severe is each?", "Her biri ne kadar ciddi?", "ما مدى خطورة كل منها؟"),
            appearance="table-list",
        ),
        kobo_row(
            "select_one sev",
            "hate_speech",
            t3("Hate speech", "Nefret söylemi", "خطاب الكراهية"),
            required="yes",
        ),
        kobo_row(
            "select_one sev",
            "no_data",
            t3("No data", "Veri yok", "لا توجد بيانات"),
            required="yes",
        ),
        kobo_row("end_group", ""),
        kobo_row(
            "select_one imp",
            "importance",
            t3("How important?", "Ne kadar önemli?", "ما مدى الأهمية؟"),
            appearance="likert",
        ),
        kobo_row("end_group", ""),
        kobo_row(
            "decimal",
            "share",
            t3("Share of budget (%)", "Bütçe payı (%)", "حصة الميزانية (%)"),
            relevant="${staff} >= 10",
            constraint=". >= 0 and . <= 100",
        ),
        kobo_row(
            "text",
            "comment",
            t3("Comments", "Yorumlar", "تعليقات"),
            appearance="multiline",
            relevant="selected(${topics}, 'health')",
            constraint="string-length(.) <= 500",
        ),
        kobo_row(
            "text", "contact", t3("Contact", "İletişim", "جهة الاتصال"), relevant="${staff} > 5"
        ),
        kobo_row("calculate", "double_staff", calc="${staff} * 2"),
        kobo_row(
            "text",
            "why",
            t3("Why so many?", "Neden bu kadar?", "لماذا؟"),
            relevant="${double_staff} >= 100",
        ),
        kobo_row("geopoint", "location", t3("Where are you?", "Neredesiniz?", "أين أنتم؟")),
        kobo_row("note", "thanks", t3("Thank you!", "Teşekkürler!", "شكرًا!")),
    ]
    choices = [
        ["list_name", "name", *[f"label::{lang}" for lang in LANGS], "org"],
        ["org_type", "ngo", *t3("NGO", "STK", "منظمة غير حكومية"), ""],
        ["org_type", "muni", *t3("Municipality", "Belediye", "بلدية"), ""],
        ["district", "kadikoy", *t3("Kadıköy", "Kadıköy", "قاضي كوي"), "ngo"],
        ["district", "fatih", *t3("Fatih", "Fatih", "الفاتح"), "muni"],
        ["topics", "health", *t3("Health", "Sağlık", "الصحة"), ""],
        ["topics", "education", *t3("Education", "Eğitim", "التعليم"), ""],
        ["topics", "housing", *t3("Housing", "Barınma", "السكن"), ""],
        ["actions", "board", *t3("Advisory board", "Danışma kurulu", "مجلس استشاري"), ""],
        ["actions", "training", *t3("Staff training", "Personel eğitimi", "تدريب"), ""],
        ["actions", "data", *t3("District data", "İlçe verisi", "بيانات"), ""],
        *[["sev", str(i), *t3(f"S{i}", f"C{i}", f"خ{i}"), ""] for i in range(1, 5)],
        ["sev", "dont_know", *t3("Don't know", "Bilmiyorum", "لا أعرف"), ""],
        *[["imp", str(i), *t3(f"I{i}", f"Ö{i}", f"م{i}"), ""] for i in range(1, 6)],
    ]
    settings = [
        ["form_title", "form_id", "version", "default_language"],
        ["Needs assessment", "needs_assessment_2026", "2026010101", "Türkçe (tr)"],
    ]
    return make_xlsx(survey, choices, settings)
