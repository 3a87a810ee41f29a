"""Export one round's questionnaire as an XLSForm workbook (survey, choices, settings sheets).

What XLSForm can express is written so that ``consult.services.xlsform`` imports it back to the
same questionnaire: sections → ``field-list`` groups (a section's description → a ``note``
opening the group), single/multiple choice → ``select_one``/``select_multiple``, rating →
``select_one`` with ``likert`` appearance, matrix → a ``table-list`` group of ``select_one`` per
item sharing one choice list, ranking → ``rank`` (``top_k`` in an extension column, which
ODK/Kobo ignore), number → ``integer``/``decimal`` with ``. >= min and . <= max``, text →
``text`` (``multiline`` for long text, ``string-length(.) <= n``), display conditions →
``relevant``, choice limits → ``count-selected(.)``. The other priority types (pairwise,
best-worst, AHP, points) and settings XLSForm has no words for are listed in the report.
Objectives, items' kinds and stakeholder groups are not part of an XLSForm: use JSON for a
whole consultation. pyxform turns typographic quotes (‘ ’ “ ”) into straight ones when it reads
any XLSForm, so they come back straight.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any, cast

from babel import Locale, UnknownLocaleError
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from consult.models import Consultation, Question, Round, User
from consult.services.errors import NotFound
from consult.services.expressions import (
    UnsupportedExpression,
    bounds_to_constraint,
    condition_to_relevant,
)
from consult.services.transfer import TransferReport, audit

XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
# the settings each type can carry into XLSForm
EXPRESSIBLE = {
    "single_choice": set(),
    "multiple_choice": {"min_select", "max_select"},
    "rating": {"scale_min", "scale_max", "dont_know"},
    "matrix": {"scale_min", "scale_max", "dont_know"},
    "ranking": {"top_k"},
    "number": {"min", "max", "integer"},
    "short_text": {"max_length"},
    "long_text": {"max_length"},
}
BOUNDS = {
    "multiple_choice": ("min_select", "max_select"),
    "number": ("min", "max"),
    "short_text": ("max_length",),
    "long_text": ("max_length",),
}
SURVEY_FIELDS = ["type", "name", "label", "hint", "required", "relevant", "constraint"]


def language_column(code: str) -> str:
    """The XLSForm name of a language, as KoboToolbox writes it: ``English (en)``."""
    try:
        name = Locale.parse(code).get_display_name("en") or code
    except (UnknownLocaleError, ValueError):
        name = code
    return f"{name} ({code})"


def export_xlsform(
    session: Session,
    consultation: Consultation,
    round_number: int = 1,
    actor: User | None = None,
) -> tuple[bytes, TransferReport]:
    """The ``.xlsx`` bytes of a round's questionnaire and a report of what was left out.

    Raises ``NotFound`` when the round does not exist. Records a ``consultation.export`` event.
    """
    data, report = xlsform_workbook(consultation, round_number)
    audit(
        session,
        consultation,
        "consultation.export",
        actor,
        {"format": "xlsform", "round": round_number, "report": report.as_dict()},
    )
    return data, report


def xlsform_workbook(
    consultation: Consultation, round_number: int = 1
) -> tuple[bytes, TransferReport]:
    """``export_xlsform`` without the audit event: for a page that only shows the report.

    Raises ``NotFound`` when the round does not exist.
    """
    round_ = next((r for r in consultation.rounds if r.number == round_number), None)
    if round_ is None:
        raise NotFound(f"the consultation has no round {round_number}")
    report = TransferReport(format="xlsform")
    writer = _Writer(consultation, round_, report)
    data = writer.workbook()
    report.counts = {
        "questions": writer.exported,
        "left_out": len(round_.questions) - writer.exported,
    }
    return data, report


def xlsform_reports(consultation: Consultation) -> list[tuple[int, TransferReport]]:
    """For each round (by number): what its XLSForm export would leave out. Records nothing."""
    numbers = sorted(r.number for r in consultation.rounds)
    return [(n, xlsform_workbook(consultation, n)[1]) for n in numbers]


class _Writer:
    def __init__(self, consultation: Consultation, round_: Round, report: TransferReport) -> None:
        self.c = consultation
        self.round = round_
        self.report = report
        self.languages = list(consultation.languages)
        self.survey: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] = []
        self.exported = 0
        self.multiple = {q.code for q in round_.questions if q.type == "multiple_choice"}
        self.names: set[str] = set()
        self.skipped: set[str] = set()

    def workbook(self) -> bytes:
        if len(self.c.rounds) > 1:
            self.report.add(
                "rounds", f"only round {self.round.number} exported", "an XLSForm is one round"
            )
        self.skipped = {q.code for q in self.round.questions if not self.exportable(q)}
        for section in sorted(self.round.sections, key=lambda s: (s.position, s.id)):
            if all(q.code in self.skipped for q in section.questions):
                self.report.add(section.code, "section not exported", "none of its questions is")
                continue
            self.row("begin_group", section.code, section.title, appearance="field-list")
            self.relevant(self.survey[-1], section.display_condition, section.code)
            if any((section.description or {}).values()):
                self.row("note", self.free_name(f"{section.code}_description"), section.description)
            for q in sorted(section.questions, key=lambda q: (q.position, q.id)):
                if q.code not in self.skipped:
                    self.question(q)
            self.row("end_group", "", {})
        return self.save()

    def exportable(self, q: Question) -> bool:
        if q.type not in EXPRESSIBLE:
            self.report.add(
                q.code, f"{q.type} question not exported", "XLSForm has no such question type"
            )
            return False
        bad = [
            c for c in [q.code] + [qi.item.code for qi in q.question_items] if not XML_NAME.match(c)
        ]
        if bad:
            self.report.add(q.code, "question not exported", f"{bad[0]!r} is not an XLSForm name")
            return False
        return True

    def free_name(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.names:
            candidate = f"{name}_{n}"
            n += 1
        return candidate

    # rows
    def row(self, type_: str, name: str, label: dict[str, str], **fields: Any) -> dict[str, Any]:
        row = {"type": type_, "name": name, "label": dict(label or {}), **fields}
        if name:
            self.names.add(name)
        self.survey.append(row)
        return row

    def relevant(self, row: dict[str, Any], condition: dict[str, Any] | None, where: str) -> None:
        if not condition:
            return
        if condition.get("question") in self.skipped:
            self.report.add(
                where,
                "display condition not exported",
                f"{condition['question']!r} is not exported",
            )
            return
        try:
            row["relevant"] = condition_to_relevant(
                condition, multiple=condition.get("question") in self.multiple
            )
        except UnsupportedExpression as exc:
            self.report.add(where, "display condition not exported", exc.reason)

    def left_out_settings(self, q: Question) -> None:
        for key in sorted(set(q.settings or {}) - EXPRESSIBLE[q.type]):
            self.report.add(q.code, f"setting {key} not exported", "XLSForm has no words for it")

    def question(self, q: Question) -> None:
        self.exported += 1
        settings = dict(q.settings or {})
        self.left_out_settings(q)
        base = {"hint": dict(q.help or {}), "required": "yes" if q.required else ""}
        if q.type == "matrix":
            self.matrix(q, base)
            return
        row = self.row(self.type_of(q), q.code, q.text, **base)
        self.relevant(row, q.display_condition, q.code)
        if q.type in ("single_choice", "multiple_choice", "rating"):
            self.choice_list(q.code, [(o.code, o.label) for o in q.options])
        if q.type == "rating":
            row["appearance"] = "likert"
            if q.question_items:
                self.report.add(q.code, "rated item not exported", "XLSForm has no items")
        elif q.type == "ranking":
            self.choice_list(q.code, [(qi.item.code, qi.item.label) for qi in q.question_items])
            if "top_k" in settings:
                row["top_k"] = settings["top_k"]
        elif q.type == "long_text":
            row["appearance"] = "multiline"
        bounds = {k: settings[k] for k in BOUNDS.get(q.type, ()) if k in settings}
        if bounds:
            row["constraint"] = bounds_to_constraint(bounds)

    @staticmethod
    def type_of(q: Question) -> str:
        if q.type == "number":
            return "integer" if (q.settings or {}).get("integer") else "decimal"
        if q.type in ("short_text", "long_text"):
            return "text"
        prefix = {"multiple_choice": "select_multiple", "ranking": "rank"}.get(q.type, "select_one")
        return f"{prefix} {q.code}"

    def matrix(self, q: Question, base: dict[str, Any]) -> None:
        group = self.row("begin_group", q.code, q.text, hint=base["hint"], appearance="table-list")
        self.relevant(group, q.display_condition, q.code)
        self.choice_list(q.code, [(o.code, o.label) for o in q.options])
        for qi in sorted(q.question_items, key=lambda qi: (qi.position, qi.id)):
            name = qi.item.code if qi.item.code not in self.names else f"{q.code}_{qi.item.code}"
            if name != qi.item.code:
                self.report.add(
                    q.code, f"row {qi.item.code} named {name}", "another question has that name"
                )
            self.row(f"select_one {q.code}", name, qi.item.label, required=base["required"])
        self.row("end_group", "", {})

    def choice_list(self, list_name: str, choices: list[tuple[str, dict[str, str]]]) -> None:
        for code, label in choices:
            self.choices.append({"list_name": list_name, "name": code, "label": dict(label or {})})

    # the workbook
    def save(self) -> bytes:
        book = Workbook()
        survey = cast(Worksheet, book.active)
        survey.title = "survey"
        extra = [k for k in ("appearance", "top_k") if any(k in r for r in self.survey)]
        translated = {"label", "hint"}
        columns: list[tuple[str, str, str | None]] = []  # header, field, language
        for field in SURVEY_FIELDS + extra:
            if field in translated:
                columns += [(f"{field}::{language_column(c)}", field, c) for c in self.languages]
            else:
                columns.append((field, field, None))
        columns = [
            col
            for col in columns
            if col[1] in ("type", "name") or any(_cell(r, col) for r in self.survey)
        ]
        _write(survey, columns, self.survey)
        choice_columns = [("list_name", "list_name", None), ("name", "name", None)] + [
            (f"label::{language_column(c)}", "label", c) for c in self.languages
        ]
        _write(book.create_sheet("choices"), choice_columns, self.choices)
        settings = book.create_sheet("settings")
        default = self.c.default_language
        title = (self.c.title or {}).get(default) or self.c.slug
        rows = [
            {
                "form_title": title,
                "form_id": self.c.slug.replace("-", "_"),
                "default_language": language_column(default),
                "clean_text_values": "no",  # pyxform keeps line breaks and spaces as written
            }
        ]
        _write(settings, [(k, k, None) for k in rows[0]], rows)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def _cell(row: dict[str, Any], column: tuple[str, str, str | None]) -> Any:
    _header, field, language = column
    value = row.get(field)
    if language is not None:
        value = (value or {}).get(language)
    return "" if value is None else value


def _write(
    sheet: Worksheet, columns: Sequence[tuple[str, str, str | None]], rows: list[dict[str, Any]]
) -> None:
    """Write a header and rows; text is stored as text, never as a formula."""
    for j, (header, _field, _language) in enumerate(columns, start=1):
        sheet.cell(row=1, column=j, value=header)
    for i, row in enumerate(rows, start=2):
        for j, column in enumerate(columns, start=1):
            value = _cell(row, column)
            if value == "":
                continue
            cell = sheet.cell(row=i, column=j, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # '=HYPERLINK(…)' in a label stays text
