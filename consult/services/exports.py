"""Exports of a round's responses (wide, long, codebook) and of results tables.

What is exported:

- Only *submitted* responses of one round (the latest round that is not a draft, unless a
  round is given). Responses in progress are not answers yet and are left out; withdrawn
  responses have no answers left and are never exported, not even as an empty row.
- Each response's number, stakeholder group, district, language, source (online/workshop) and
  the *date* it was submitted (never the time). Receipt codes are never exported (they let a
  participant withdraw). Invitation data (number, organisation, contact person) only for
  *named* consultations: *confidential* and *anonymous* ones export none, and e-mail
  addresses are never exported.
- ``long``: one row per stored answer row (question, item, second item, option, task, number,
  text, flag); ``wide``: one row per response, variables as ``consult.services.codebook``
  lays them out; ``codebook``: the wide export's variables with labels, value labels and
  question texts in every language of the consultation.

Formats: CSV is UTF-8 with a byte-order mark, comma separated, CRLF, and every text cell
starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe (numbers are
never changed). XLSX has the data sheet and the codebook sheets; text is always stored as text
(an inline string, never a formula), so ``=1+1`` reads back as the string ``=1+1``. SPSS
``.sav`` (pyreadstat) carries variable labels, value labels (in one language, ``language``,
default the consultation's default language), "don't know" as a user-missing value, and
measurement levels.

Results tables (``export_results``) run ``analysis.rank`` on a priority question with a
breakdown by stakeholder group and hide every group, and every district, with fewer than the
consultation's ``min_group_size`` respondents (small-cell protection), saying so in the table.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
from consult.models import (
    ANSWER_VALUES,
    AnonymityMode,
    Answer,
    Consultation,
    Invitation,
    Item,
    Option,
    Question,
    Response,
    ResponseState,
    Round,
    RoundState,
    StakeholderGroup,
    User,
)
from consult.questions import AnswerRow, QuestionSpec, get_type
from consult.services import audit
from consult.services.codebook import (
    DATE,
    MAX_LABEL_BYTES,
    MAX_VALUE_LABEL_BYTES,
    NUMERIC,
    STRING,
    Codebook,
    QuestionText,
    Variable,
    WideQuestion,
    long_variables,
    truncate_bytes,
    wide_variables,
)
from consult.services.consultations import localized
from consult.services.errors import InvalidState, NotFound
from consult.services.invitation_csv import neutralise
from consult.services.participation import build_survey
from consult.services.permissions import Action, require
from consult.services.results import analysis_input

SHAPES = ("wide", "long", "codebook")
FORMATS = ("csv", "xlsx", "sav")
RESULT_FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8"
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}
XLSX_MAX_ROWS = 1_048_576 - 1  # Excel's row limit, less the header
PROGRESS_STEP = 500  # report progress every this many responses or rows

# A progress callback: (stage, done, total); stages "responses" (reading) and "rows" (writing).
Progress = Callable[[str, int, int], None]


class TooLarge(InvalidState):
    """The export would exceed a size limit (XLSX in the browser); CSV or the CLI can do it."""


@dataclass(frozen=True)
class ResponseTable:
    """One export's data and the variables describing its columns."""

    slug: str
    round_number: int
    shape: str
    frame: pd.DataFrame
    codebook: Codebook
    responses: int


@dataclass(frozen=True)
class ExportFile:
    """A file to hand over: its bytes, a file name, a MIME type and what it holds."""

    data: bytes
    filename: str
    mimetype: str
    rows: int


# --- choosing what to export ---------------------------------------------------------------------


def export_round(consultation: Consultation, number: int | None = None) -> Round:
    """Round ``number``, or by default the latest round that is not a draft (else the first).

    Raises ``NotFound`` for a round the consultation does not have.
    """
    rounds = sorted(consultation.rounds, key=lambda r: r.number)
    if number is not None:
        found = next((r for r in rounds if r.number == number), None)
        if found is None:
            have = ", ".join(str(r.number) for r in rounds) or "none"
            raise NotFound(f"{consultation.slug} has no round {number} (rounds: {have})")
        return found
    if not rounds:
        raise NotFound(f"{consultation.slug} has no questionnaire round")
    used = [r for r in rounds if r.state != RoundState.DRAFT]
    return used[-1] if used else rounds[0]


def export_language(consultation: Consultation, language: str | None) -> str:
    """``language`` if the consultation offers it, else its default language (when None)."""
    if language is None:
        return consultation.default_language
    if language not in consultation.languages:
        raise InvalidState(
            f"{consultation.slug} is not offered in {language!r} "
            f"(languages: {', '.join(consultation.languages)})"
        )
    return language


def _check_choice(value: str, choices: Sequence[str], what: str) -> str:
    if value not in choices:
        raise InvalidState(f"unknown {what} {value!r}: use {', '.join(choices)}")
    return value


# --- reading the responses -----------------------------------------------------------------------


def response_table(
    session: Session,
    consultation: Consultation,
    shape: str = "wide",
    *,
    round_number: int | None = None,
    language: str | None = None,
    progress: Progress | None = None,
    max_cells: int | None = None,
) -> ResponseTable:
    """The submitted responses of a round as a ``wide`` or ``long`` frame, or the ``codebook``.

    Parameters: ``shape`` wide, long or codebook (the wide export's variables, no data);
    ``round_number`` the round (default: see ``export_round``); ``language`` of the labels in
    SPSS files and of the codebook's ``label`` column (default: the consultation's default);
    ``progress`` called as responses are read; ``max_cells`` refuse (``TooLarge``, before
    reading anything) a table of more cells. Two SELECTs: the responses, then their answers.
    Raises ``InvalidState`` for an unknown shape or language and ``NotFound`` for a round.
    """
    _check_choice(shape, SHAPES, "shape")
    round_ = export_round(consultation, round_number)
    label_language = export_language(consultation, language)
    languages = [
        label_language,
        *(lang for lang in consultation.languages if lang != label_language),
    ]
    surveys = {lang: build_survey(session, round_, lang) for lang in languages}
    specs = {lang: [q for p in s.pages for q in p.questions] for lang, s in surveys.items()}
    named = AnonymityMode(consultation.anonymity) == AnonymityMode.NAMED
    sections = {q.code: p.code for p in surveys[label_language].pages for q in p.questions}
    questions = tuple(
        QuestionText(
            q.code,
            q.type,
            sections[q.code],
            {lang: specs[lang][i].text for lang in languages},
        )
        for i, q in enumerate(specs[label_language])
    )
    ordered = tuple(consultation.languages)
    if shape == "long":
        variables = long_variables(languages, named, specs)
        notes: list[str] = []
    else:
        variables, wide, notes = wide_variables(languages, named, specs, label_language)
    codebook = Codebook(ordered, label_language, tuple(variables), questions, tuple(notes))
    if shape == "codebook":
        frame = pd.DataFrame({v.name: [] for v in variables})
        return ResponseTable(consultation.slug, round_.number, shape, frame, codebook, 0)

    if max_cells is not None:
        rows = _row_count(session, round_, shape)
        if rows * len(variables) > max_cells:
            raise TooLarge(
                f"{rows} rows × {len(variables)} columns is too large for this format here: "
                "export CSV, or use the command line (consult export)"
            )
    meta = _respondents(session, round_, named)
    answers = _answers(session, round_)
    by_id = {q.id: q for q in specs[label_language]}
    total = len(meta)
    if shape == "long":
        frame = _long_frame(session, consultation, meta, answers, by_id, variables, progress)
    else:
        frame = _wide_frame(meta, answers, wide, variables, progress)
    return ResponseTable(consultation.slug, round_.number, shape, frame, codebook, total)


def _row_count(session: Session, round_: Round, shape: str) -> int:
    """Rows of the wide (responses) or long (answer rows) table, counted in SQL."""
    submitted = (Response.round_id == round_.id) & (Response.state == ResponseState.SUBMITTED)
    if shape == "long":
        query = select(func.count(Answer.id)).join(Response, Response.id == Answer.response_id)
    else:
        query = select(func.count(Response.id))
    return int(session.scalar(query.where(submitted)) or 0)


def _respondents(session: Session, round_: Round, named: bool) -> list[tuple[Any, ...]]:
    """(id, group, district, language, source, submitted date[, invitation, organisation,
    contact]) of the round's submitted responses, by id."""
    columns: list[Any] = [
        Response.id,
        StakeholderGroup.code,
        Response.district,
        Response.language,
        Response.source,
        Response.submitted_at,
    ]
    if named:
        columns += [Response.invitation_id, Invitation.organisation, Invitation.name]
    query = (
        select(*columns)
        .outerjoin(StakeholderGroup, StakeholderGroup.id == Response.stakeholder_group_id)
        .where(Response.round_id == round_.id, Response.state == ResponseState.SUBMITTED)
        .order_by(Response.id)
    )
    if named:
        query = query.outerjoin(Invitation, Invitation.id == Response.invitation_id)
    out = []
    for row in session.execute(query):
        values = list(row)
        values[4] = values[4].value
        values[5] = _day(values[5])
        out.append(tuple(values))
    return out


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _answers(session: Session, round_: Round) -> dict[int, list[tuple[int, AnswerRow]]]:
    """Response id → [(question id, answer row)] of submitted responses, in stored order."""
    rows = session.execute(
        select(
            Answer.response_id,
            Answer.question_id,
            *ANSWER_VALUES,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == round_.id, Response.state == ResponseState.SUBMITTED)
        .order_by(Answer.response_id, Answer.id)
    )
    out: dict[int, list[tuple[int, AnswerRow]]] = defaultdict(list)
    for r in rows:
        out[r[0]].append((r[1], AnswerRow(*r[2:])))
    return out


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None and (done == total or done % PROGRESS_STEP == 0):
        progress(stage, done, total)


def _long_frame(
    session: Session,
    consultation: Consultation,
    meta: list[tuple[Any, ...]],
    answers: dict[int, list[tuple[int, AnswerRow]]],
    by_id: dict[int, QuestionSpec],
    variables: Sequence[Variable],
    progress: Progress | None,
) -> pd.DataFrame:
    items = select(Item.id, Item.code).where(Item.consultation_id == consultation.id)
    item_codes: dict[int, str] = dict(session.execute(items).all())
    options = select(Option.id, Option.code).where(Option.question_id.in_(list(by_id)))
    option_codes: dict[int, str] = dict(session.execute(options).all())
    records: list[tuple[Any, ...]] = []
    total = len(meta)
    if progress is not None:
        progress("responses", 0, total)
    for done, respondent in enumerate(meta, start=1):
        for question_id, row in answers.get(respondent[0], []):
            q = by_id.get(question_id)
            if q is None:  # not part of the questionnaire's pages: cannot have been asked
                continue
            records.append(
                (
                    *respondent,
                    q.code,
                    q.type,
                    item_codes.get(row.item_id) if row.item_id else None,
                    item_codes.get(row.other_item_id) if row.other_item_id else None,
                    option_codes.get(row.option_id) if row.option_id else None,
                    None if row.task is None else row.task + 1,
                    row.number,
                    row.text,
                    row.flag or None,
                )
            )
        _report(progress, "responses", done, total)
    names = [v.name for v in variables]
    frame = pd.DataFrame.from_records(records, columns=names)
    return _typed(frame, variables)


def _wide_frame(
    meta: list[tuple[Any, ...]],
    answers: dict[int, list[tuple[int, AnswerRow]]],
    wide: Sequence[WideQuestion],
    variables: Sequence[Variable],
    progress: Progress | None,
) -> pd.DataFrame:
    names = [v.name for v in variables]
    n_meta = len(meta[0]) if meta else 0
    records: list[dict[str, Any]] = []
    total = len(meta)
    if progress is not None:
        progress("responses", 0, total)
    for done, respondent in enumerate(meta, start=1):
        record: dict[str, Any] = dict(zip(names[:n_meta], respondent, strict=True))
        by_question: dict[int, list[AnswerRow]] = defaultdict(list)
        for question_id, row in answers.get(respondent[0], []):
            by_question[question_id].append(row)
        for wq in wide:
            rows = by_question.get(wq.spec.id)
            if not rows:
                continue
            for key, value in wq.layout.values(wq.spec, rows, wq.context).items():
                name = wq.names.get(key)
                if name is not None:
                    record[name] = value
        records.append(record)
        _report(progress, "responses", done, total)
    frame = pd.DataFrame.from_records(records, columns=names)
    return _typed(frame, variables)


def _typed(frame: pd.DataFrame, variables: Sequence[Variable]) -> pd.DataFrame:
    """Numbers as whole numbers (nullable ``Int64``) where every value is whole, else floats;
    texts as text; dates as ``datetime.date`` objects (None when missing)."""
    out = {}
    for v in variables:
        column = frame[v.name]
        if v.kind == NUMERIC:
            numbers = pd.to_numeric(column, errors="coerce").astype("float64")
            present = numbers.dropna()
            whole = bool((present == np.floor(present)).all()) and bool(
                (present.abs() < 2**53).all()
            )
            out[v.name] = numbers.astype("Int64") if whole else numbers
        elif v.kind == DATE:
            out[v.name] = pd.Series(
                [None if _missing(x) else x for x in column], dtype="object", index=frame.index
            )
        else:
            out[v.name] = pd.Series(
                [None if _missing(x) else str(x) for x in column], dtype="object", index=frame.index
            )
    return pd.DataFrame(out, index=frame.index, columns=[v.name for v in variables])


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


# --- writers -------------------------------------------------------------------------------------


def _text_cell(value: Any) -> str:
    return "" if _missing(value) else neutralise(value)


def write_csv(frame: pd.DataFrame, kinds: dict[str, str] | None = None) -> bytes:
    """``frame`` as CSV: UTF-8 with a byte-order mark, CRLF, text cells neutralised.

    ``kinds`` maps columns to NUMERIC/STRING/DATE (default: from the dtypes); only text cells
    are neutralised, so a negative number stays a number.
    """
    out = frame.copy()
    kinds = kinds or {}
    for name in out.columns:
        kind = kinds.get(name) or (
            NUMERIC if pd.api.types.is_numeric_dtype(out[name].dtype) else STRING
        )
        if kind == DATE:
            out[name] = [None if _missing(x) else x.isoformat() for x in out[name]]
        elif kind == STRING:
            out[name] = [_text_cell(x) for x in out[name]]
    out.columns = [neutralise(c) for c in out.columns]
    text = out.to_csv(index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def _xlsx_value(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """A cell value for openpyxl: text always as text (an inline string, never a formula)."""
    if _missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, int | float | date):
        if isinstance(value, date) and not isinstance(value, datetime):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # openpyxl would store "=..." as a formula
    return cell


def _append_frame(
    wb: Workbook,
    title: str,
    frame: pd.DataFrame,
    progress: Progress | None = None,
) -> None:
    ws = wb.create_sheet(title)
    ws.append([_xlsx_value(ws, c) for c in frame.columns])
    total = len(frame)
    columns = [frame[c].tolist() for c in frame.columns]
    for done, row in enumerate(zip(*columns, strict=True), start=1):
        ws.append([_xlsx_value(ws, v) for v in row])
        _report(progress, "rows", done, total)


def write_xlsx(
    sheets: Sequence[tuple[str, pd.DataFrame]], progress: Progress | None = None
) -> bytes:
    """A workbook with one sheet per (title, frame); progress is reported for the first."""
    for _title, frame in sheets:
        if len(frame) > XLSX_MAX_ROWS:
            raise InvalidState(
                f"{len(frame)} rows do not fit in one XLSX sheet: export CSV or the wide shape"
            )
    wb = Workbook(write_only=True)
    for index, (title, frame) in enumerate(sheets):
        _append_frame(wb, title, frame, progress if index == 0 else None)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_sav(table: ResponseTable) -> bytes:
    """The table as an SPSS ``.sav`` file with labels in the codebook's language."""
    import pyreadstat  # imported here: only SPSS exports need it

    language = table.codebook.language
    frame = table.frame.copy()
    labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[Any]] = {}
    measure: dict[str, str] = {}
    for v in table.codebook.variables:
        labels[v.name] = truncate_bytes(v.label(language), MAX_LABEL_BYTES).rstrip()
        measure[v.name] = v.measure
        if v.kind == NUMERIC:
            frame[v.name] = frame[v.name].astype("float64")
            if v.value_labels:
                value_labels[v.name] = {
                    float(vl.value): truncate_bytes(
                        vl.labels.get(language, "") or vl.code, MAX_VALUE_LABEL_BYTES
                    ).rstrip()
                    for vl in v.value_labels
                }
            if v.missing:
                missing[v.name] = [float(m) for m in v.missing]
        elif v.kind == STRING:
            frame[v.name] = pd.Series(
                ["" if _missing(x) else str(x) for x in frame[v.name]], dtype="object"
            )
    handle, path = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(
            frame,
            path,
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_measure=measure,
        )
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


# --- the codebook as tables ----------------------------------------------------------------------


def _value_text(value: Any) -> str:
    return str(value)


def codebook_frame(codebook: Codebook) -> pd.DataFrame:
    """One row per variable: name, label, type, question, item/option/task, and per language
    the label, the question text and the value labels (``1 = ...; 2 = ...``)."""
    texts = {q.code: q.text for q in codebook.questions}
    rows = []
    for v in codebook.variables:
        row: dict[str, Any] = {
            "variable": v.name,
            "label": v.label(codebook.language),
            "type": v.kind,
            "measure": v.measure,
            "question": v.question,
            "question_type": v.question_type,
            "item": v.item,
            "option": v.option,
            "task": v.task,
            "part": v.part,
            "missing": "; ".join(_value_text(m) for m in v.missing) or None,
        }
        for lang in codebook.languages:
            row[f"label_{lang}"] = v.labels.get(lang)
            row[f"question_text_{lang}"] = (
                texts.get(v.question, {}).get(lang) if v.question else None
            )
            row[f"value_labels_{lang}"] = (
                "; ".join(
                    f"{_value_text(vl.value)} = {vl.labels.get(lang, '')}" for vl in v.value_labels
                )
                or None
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["task"] = frame["task"].astype("Int64") if len(frame) else frame["task"]
    return frame


def value_labels_frame(codebook: Codebook) -> pd.DataFrame:
    """One row per labelled value: variable, question, value, code, label per language."""
    rows = []
    for v in codebook.variables:
        for vl in v.value_labels:
            row = {
                "variable": v.name,
                "question": vl.question or v.question,
                "value": vl.value,
                "code": vl.code,
            }
            for lang in codebook.languages:
                row[f"label_{lang}"] = vl.labels.get(lang)
            rows.append(row)
    columns = ["variable", "question", "value", "code"] + [
        f"label_{lang}" for lang in codebook.languages
    ]
    return pd.DataFrame(rows, columns=columns)


def questions_frame(codebook: Codebook) -> pd.DataFrame:
    """One row per question of the round: code, type, page, text per language."""
    columns = ["question", "type", "section"] + [f"text_{lang}" for lang in codebook.languages]
    return pd.DataFrame(
        [
            [q.code, q.type, q.section, *(q.text.get(lang) for lang in codebook.languages)]
            for q in codebook.questions
        ],
        columns=columns,
    )


def _codebook_sheets(codebook: Codebook) -> list[tuple[str, pd.DataFrame]]:
    return [
        ("codebook", codebook_frame(codebook)),
        ("value_labels", value_labels_frame(codebook)),
        ("questions", questions_frame(codebook)),
    ]


# --- one export, start to end --------------------------------------------------------------------


def render(table: ResponseTable, fmt: str, progress: Progress | None = None) -> bytes:
    """The table's bytes in ``fmt`` (csv, xlsx or sav)."""
    _check_choice(fmt, FORMATS, "format")
    kinds = {v.name: v.kind for v in table.codebook.variables}
    if table.shape == "codebook":
        if fmt == "csv":
            return write_csv(codebook_frame(table.codebook))
        if fmt == "xlsx":
            return write_xlsx(_codebook_sheets(table.codebook))
        raise InvalidState("the codebook is exported as csv or xlsx (a .sav file carries its own)")
    if fmt == "csv":
        if progress is not None:
            progress("rows", len(table.frame), len(table.frame))
        return write_csv(table.frame, kinds)
    if fmt == "xlsx":
        return write_xlsx([("data", table.frame), *_codebook_sheets(table.codebook)], progress)
    data = write_sav(table)
    if progress is not None:
        progress("rows", len(table.frame), len(table.frame))
    return data


def export_responses(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    *,
    shape: str,
    fmt: str,
    round_number: int | None = None,
    language: str | None = None,
    progress: Progress | None = None,
    max_xlsx_cells: int | None = None,
    max_cells: int | None = None,
) -> ExportFile:
    """Export a round's submitted responses and record it in the audit log.

    ``actor`` must be allowed to analyse the consultation (``Forbidden`` otherwise); None is
    the command line. ``max_xlsx_cells`` refuses larger XLSX files (``TooLarge``): writing
    XLSX costs about 10 µs a cell; ``max_cells`` does the same for CSV and SAV. See
    ``response_table`` for the other parameters.
    """
    if actor is not None:
        require(actor, Action.ANALYSE, consultation)
    _check_choice(fmt, FORMATS, "format")
    _check_choice(shape, SHAPES, "shape")
    if shape == "codebook" and fmt == "sav":
        raise InvalidState("the codebook is exported as csv or xlsx (a .sav file carries its own)")
    table = response_table(
        session,
        consultation,
        shape,
        round_number=round_number,
        language=language,
        progress=progress,
        max_cells=max_xlsx_cells if fmt == "xlsx" else max_cells,
    )
    data = render(table, fmt, progress)
    audit.record(
        session,
        actor,
        "export.responses",
        consultation,
        shape=shape,
        format=fmt,
        round=table.round_number,
        language=table.codebook.language,
        responses=table.responses,
        rows=len(table.frame),
    )
    return ExportFile(
        data=data,
        filename=f"{consultation.slug}-round{table.round_number}-{shape}.{fmt}",
        mimetype=MIMETYPES[fmt],
        rows=len(table.frame),
    )


# --- results tables (aggregates, with small-cell protection) -------------------------------------

RESULT_COLUMNS = [
    "scope",
    "group",
    "suppressed",
    "n",
    "item",
    "label",
    "score",
    "rank",
    "ci_low",
    "ci_high",
    "rank_ci_low",
    "rank_ci_high",
    "p_top_k",
]
ALL_RESPONDENTS = "all"


@dataclass(frozen=True)
class ResultTables:
    """A priority question's ranking, overall and per stakeholder group, as tables."""

    question: str
    round_number: int
    method: str
    weights: str
    min_group_size: int
    results: pd.DataFrame  # RESULT_COLUMNS; a suppressed group is one row without figures
    counts: pd.DataFrame  # breakdown, value, respondents (None where suppressed), suppressed
    about: pd.DataFrame  # setting, value


def priority_questions(round_: Round) -> list[Question]:
    """The round's questions analysed as priorities (rating, ranking, comparisons, points)."""
    return [q for q in round_.questions if get_type(q.type).analysis_kind is not None]


def result_tables(
    session: Session,
    consultation: Consultation,
    question_code: str,
    *,
    method: str | None = None,
    weights: str = "respondent",
    round_number: int | None = None,
    language: str | None = None,
) -> ResultTables:
    """Rank a priority question's items with ``analysis.rank``, overall and by group.

    Groups and districts with fewer than ``consultation.min_group_size`` respondents are
    suppressed: a row says so, without their size or figures. ``method`` defaults to the
    first method registered for the question's kind. Raises ``NotFound`` for an unknown
    question and ``InvalidState`` for bad settings or a question without answers.
    """
    round_ = export_round(consultation, round_number)
    label_language = export_language(consultation, language)
    question = next((q for q in round_.questions if q.code == question_code), None)
    if question is None:
        raise NotFound(f"round {round_.number} has no question {question_code!r}")
    kind = get_type(question.type).analysis_kind
    if kind is None:
        raise InvalidState(f"question {question_code!r} is not a priority question")
    methods = analysis.methods_for(kind)
    chosen = method or methods[0]
    _check_choice(chosen, methods, "method")
    _check_choice(weights, [s for s in analysis.SCHEMES if s != "post-stratified"], "weighting")
    data = analysis_input(session, question.id)
    if data.frame.empty:
        raise InvalidState(f"question {question_code!r} has no submitted answers yet")
    k = int(consultation.min_group_size)
    try:
        result = analysis.rank(
            data.frame, kind, chosen, weights=weights, by_group=True, min_group_size=k
        )
    except analysis.InputError as exc:
        raise InvalidState(f"cannot rank {question_code!r}: {exc}") from None
    fallback = consultation.default_language
    labels = {
        qi.item.code: localized(qi.item.label, label_language, fallback)
        for qi in question.question_items
    }
    names = {
        g.code: localized(g.name, label_language, fallback) for g in consultation.stakeholder_groups
    }
    rows = _result_rows(ALL_RESPONDENTS, "", False, result.n_respondents, result.items, labels)
    for code, group in (result.groups or {}).items():
        name = names.get(code, code)
        rows += _result_rows(code, name, group.suppressed, group.n, group.items, labels)
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for column in ("n", "rank", "rank_ci_low", "rank_ci_high"):
        results[column] = results[column].astype("Int64")
    counts = _counts(data.frame, k)
    suppressed = [g for g, r in (result.groups or {}).items() if r.suppressed]
    about = pd.DataFrame(
        [
            ("consultation", consultation.slug),
            ("round", str(round_.number)),
            ("question", question_code),
            ("kind", kind),
            ("method", result.method),
            ("weights", result.weights),
            ("respondents", str(result.n_respondents)),
            ("min_group_size", str(k)),
            ("suppressed_groups", ", ".join(suppressed)),
            (
                "note",
                f"groups and districts with fewer than {k} respondents are suppressed: "
                "their size and figures are not shown",
            ),
        ],
        columns=["setting", "value"],
    )
    return ResultTables(
        question_code, round_.number, result.method, weights, k, results, counts, about
    )


def _result_rows(
    scope: str,
    group: str,
    suppressed: bool,
    n: int | None,
    items: pd.DataFrame | None,
    labels: dict[str, str],
) -> list[list[Any]]:
    if suppressed or items is None:
        return [[scope, group, 1, None, *([None] * (len(RESULT_COLUMNS) - 4))]]
    return [
        [
            scope,
            group,
            0,
            n,
            row["item"],
            labels.get(row["item"], row["item"]),
            *(None if _missing(row[c]) else row[c] for c in analysis.ITEM_COLUMNS[1:]),
        ]
        for row in items.to_dict("records")
    ]


def _counts(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """Respondents by stakeholder group and by district; cells below ``k`` suppressed."""
    respondents = frame.drop_duplicates("respondent")
    rows: list[list[Any]] = [["all", "", len(respondents), 0]]
    for breakdown in ("group", "district"):
        sizes = respondents[breakdown].fillna("unknown").value_counts().sort_index()
        for value, n in sizes.items():
            small = int(n) < k
            rows.append([breakdown, str(value), None if small else int(n), int(small)])
    counts = pd.DataFrame(rows, columns=["breakdown", "value", "respondents", "suppressed"])
    counts["respondents"] = counts["respondents"].astype("Int64")
    return counts


def export_results(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    question_code: str,
    fmt: str,
    *,
    method: str | None = None,
    weights: str = "respondent",
    round_number: int | None = None,
    language: str | None = None,
) -> ExportFile:
    """The results tables of a priority question as CSV (the ranking table) or XLSX (ranking,
    counts, settings), recorded in the audit log. See ``result_tables``."""
    if actor is not None:
        require(actor, Action.ANALYSE, consultation)
    _check_choice(fmt, RESULT_FORMATS, "format")
    tables = result_tables(
        session,
        consultation,
        question_code,
        method=method,
        weights=weights,
        round_number=round_number,
        language=language,
    )
    if fmt == "csv":
        data = write_csv(tables.results)
    else:
        data = write_xlsx(
            [("results", tables.results), ("respondents", tables.counts), ("about", tables.about)]
        )
    audit.record(
        session,
        actor,
        "export.results",
        consultation,
        question=question_code,
        format=fmt,
        round=tables.round_number,
        method=tables.method,
        weights=tables.weights,
    )
    return ExportFile(
        data=data,
        filename=f"{consultation.slug}-round{tables.round_number}-{question_code}-results.{fmt}",
        mimetype=MIMETYPES[fmt],
        rows=len(tables.results),
    )


# --- what the exports page offers ----------------------------------------------------------------


@dataclass(frozen=True)
class RoundChoice:
    """A round one can export, with its number of submitted responses."""

    number: int
    state: str
    responses: int


@dataclass(frozen=True)
class PriorityChoice:
    """A priority question whose results tables can be exported, with its ranking methods."""

    code: str
    text: dict[str, str]
    kind: str
    methods: list[str]


@dataclass(frozen=True)
class ExportOverview:
    """Plain data for the exports page of one consultation and round."""

    round_number: int
    language: str
    languages: list[str]
    rounds: list[RoundChoice]
    responses: int
    anonymity: str
    identities: bool  # whether invitation data (organisation, contact) is exported
    min_group_size: int
    priorities: list[PriorityChoice]


def export_overview(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    round_number: int | None = None,
    language: str | None = None,
) -> ExportOverview:
    """What can be exported from ``consultation``: rounds, languages, priority questions.

    Raises ``Forbidden`` unless ``actor`` may analyse it, ``NotFound`` for an unknown round and
    ``InvalidState`` for a language it does not offer.
    """
    if actor is not None:
        require(actor, Action.ANALYSE, consultation)
    round_ = export_round(consultation, round_number)
    chosen_language = export_language(consultation, language)
    counts = dict(
        session.execute(
            select(Response.round_id, func.count(Response.id))
            .join(Round, Round.id == Response.round_id)
            .where(
                Round.consultation_id == consultation.id,
                Response.state == ResponseState.SUBMITTED,
            )
            .group_by(Response.round_id)
        ).all()
    )
    rounds = [
        RoundChoice(r.number, RoundState(r.state).value, int(counts.get(r.id, 0)))
        for r in sorted(consultation.rounds, key=lambda r: r.number)
    ]
    priorities = [
        PriorityChoice(
            q.code,
            dict(q.text or {}),
            str(get_type(q.type).analysis_kind),
            list(analysis.methods_for(str(get_type(q.type).analysis_kind))),
        )
        for q in priority_questions(round_)
    ]
    return ExportOverview(
        round_number=round_.number,
        language=chosen_language,
        languages=list(consultation.languages),
        rounds=rounds,
        responses=int(counts.get(round_.id, 0)),
        anonymity=AnonymityMode(consultation.anonymity).value,
        identities=AnonymityMode(consultation.anonymity) == AnonymityMode.NAMED,
        min_group_size=int(consultation.min_group_size),
        priorities=priorities,
    )
