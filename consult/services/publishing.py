"""Published reports: a priority result frozen with everything needed to get it again.

``publish_report`` takes the input of one priority question exactly as the analysis sees it
(``priorities.analysis_frame``: ``results.analysis_input`` with the filters applied), runs the
same computation as the results page (``priorities.question_results``, i.e. ``analysis.rank``)
with the chosen parameters, and stores a new :class:`~consult.models.Report` version (1, 2, ...
per consultation) with

- ``parameters``: question, round, method, weighting, filters, exclusions, bootstrap, seed,
  top k, label language, the small-cell threshold, the exact ``analysis.rank`` options and the
  versions of the software (``software``);
- ``data_fingerprint``: the SHA-256 of the input frame (see *Fingerprint* below);
- ``software_version``: ``consult <version>`` (the column holds 32 characters; the versions of
  Python, numpy, pandas and scipy are in ``parameters["software"]``);
- ``results``: ``{"results": QuestionResults.as_dict(), "input": <the frame>}``. The stored
  frame lets the report be recomputed to the same numbers even after the answers change.

``regenerate_report`` recomputes a published version twice: from the *current* answers with the
stored parameters (``same_data``: the fingerprints are equal; ``same_numbers``: the analysis
output is equal), and from the *stored* frame (``snapshot_intact``: it still has its fingerprint;
``snapshot_numbers``: the analysis gives the stored numbers). Nothing is computed here: every
number comes from ``analysis`` through ``consult.services.priorities``.

Fingerprint (scheme ``consult-frame-v1``)
-----------------------------------------
The frame is ``priorities.analysis_frame(...).respondents``: the columns ``respondent, group,
district, language, source`` and those of the question's analysis kind, one row per observation,
exclusions and filters applied. Response ids are first replaced by pseudonyms that keep their order
(``00000001``, ``00000002``, ... in the string order of the ids, which is the order ``analysis``
sorts respondents in), so neither the fingerprint nor the stored frame links to a response.
The canonical text is UTF-8, lines separated by ``\\n`` (one after the last line too):

1. the scheme name ``consult-frame-v1``;
2. the column names sorted by code point, as a compact JSON array;
3. one line per row: the row's values in that column order as a compact JSON array
   (``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``) where a missing value
   (None, NaN, NA) is ``null``, a whole number (whatever its dtype: ``4``, ``4.0``) is an
   integer, any other float is written by Python's shortest round-trip ``repr``
   (``0.1``, ``2.5e-07``), infinities as the strings ``"inf"``/``"-inf"``, booleans as
   ``true``/``false`` and text as it is (no normalisation). The row lines are sorted by code
   point, so row order does not matter.

The fingerprint is the lowercase hexadecimal SHA-256 of that text.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import analysis
from consult.models import Consultation, Question, Report, User
from consult.services import audit, priorities
from consult.services.errors import Conflict, InvalidState, NotFound
from consult.services.permissions import Action, require
from consult.services.results import KIND_COLUMNS

__all__ = [
    "FINGERPRINT_SCHEME",
    "FrameSnapshot",
    "Regeneration",
    "ReportSummary",
    "canonical_text",
    "fingerprint",
    "get_report",
    "list_reports",
    "publish_report",
    "regenerate_report",
    "report_summary",
    "software_versions",
]

FINGERPRINT_SCHEME = "consult-frame-v1"
PSEUDONYM_WIDTH = 8
FINGERPRINT_PREFIX = 12  # characters shown in lists
#: What ``regenerate_report`` needs in ``Report.parameters``.
REQUIRED_PARAMETERS = frozenset(
    {
        "question_code",
        "round_number",
        "kind",
        "method",
        "weighting",
        "filters",
        "bootstrap",
        "seed",
        "top_k",
        "analysis_options",
    }
)


# --------------------------------------------------------------------------------------------
# Fingerprint and the stored frame


def _canonical_value(value: Any) -> Any:
    """One cell as the fingerprint writes it (see the module docstring)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        return int(number) if number.is_integer() else number
    if hasattr(value, "item") and not isinstance(value, str):  # numpy bool and the like
        return _canonical_value(value.item())
    return str(value)


def canonical_text(frame: pd.DataFrame) -> str:
    """The canonical serialisation of ``frame`` that :func:`fingerprint` hashes."""
    columns = sorted(str(c) for c in frame.columns)
    ordered = frame[columns].astype(object)
    lines = [
        json.dumps([_canonical_value(v) for v in row], ensure_ascii=False, separators=(",", ":"))
        for row in ordered.itertuples(index=False, name=None)
    ]
    lines.sort()
    header = json.dumps(columns, ensure_ascii=False, separators=(",", ":"))
    return "\n".join([FINGERPRINT_SCHEME, header, *lines]) + "\n"


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 (hex) of :func:`canonical_text` of ``frame``."""
    return hashlib.sha256(canonical_text(frame).encode("utf-8")).hexdigest()


def pseudonymise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each ``respondent`` replaced by its zero-padded position among the
    distinct respondents in string order (rows keep their order)."""
    out = frame.copy()
    ids = sorted({str(v) for v in out["respondent"]})
    pseudonyms = {rid: f"{i:0{PSEUDONYM_WIDTH}d}" for i, rid in enumerate(ids, start=1)}
    out["respondent"] = [pseudonyms[str(v)] for v in out["respondent"]]
    return out.astype({"respondent": frame["respondent"].dtype})


@dataclass(frozen=True)
class FrameSnapshot:
    """A frame as JSON: its columns in order, their dtypes, and its rows in order."""

    columns: list[str]
    dtypes: dict[str, str]
    rows: list[list[Any]]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> FrameSnapshot:
        columns = [str(c) for c in frame.columns]
        rows = [
            [_json_cell(v) for v in row]
            for row in frame.astype(object).itertuples(index=False, name=None)
        ]
        return cls(columns, {c: str(frame[c].dtype) for c in columns}, rows)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FrameSnapshot:
        return cls(list(data["columns"]), dict(data["dtypes"]), [list(r) for r in data["rows"]])

    def as_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "dtypes": self.dtypes, "rows": self.rows}

    def frame(self) -> pd.DataFrame:
        """The frame again, with its dtypes."""
        frame = pd.DataFrame(self.rows, columns=self.columns)
        if not self.rows:
            frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in self.columns})
        return frame.astype(self.dtypes)


def _json_cell(value: Any) -> Any:
    """A cell as a JSON value that rebuilds the same cell (missing → null)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return None if math.isnan(number) else number
    if hasattr(value, "item") and not isinstance(value, str):
        return _json_cell(value.item())
    return str(value)


# --------------------------------------------------------------------------------------------
# Software


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def software_versions() -> dict[str, str]:
    """The versions that computed a report: consult (``analysis`` ships with it), Python,
    numpy, pandas, scipy."""
    import consult

    return {
        "consult": str(getattr(consult, "__version__", _version("consult"))),
        "analysis": str(getattr(analysis, "__version__", getattr(consult, "__version__", ""))),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "pandas": _version("pandas"),
        "scipy": _version("scipy"),
    }


def _software_label(versions: dict[str, str]) -> str:
    return f"consult {versions['consult']}"[:32]


# --------------------------------------------------------------------------------------------
# Publishing


def _same(a: Any, b: Any) -> bool:
    """Equal once both are plain JSON (as stored)."""
    return bool(
        json.loads(json.dumps(a, sort_keys=True, allow_nan=False))
        == json.loads(json.dumps(b, sort_keys=True, allow_nan=False))
    )


def _reproduce(
    snapshot: pd.DataFrame, kind: str, method: str, options: dict[str, Any]
) -> dict[str, Any]:
    """``analysis.rank`` on a stored frame with stored options (through ``priorities``)."""
    data = priorities.AnalysisFrame(
        question_id=0,
        question_code="",
        round_number=0,
        kind=kind,
        method=method,
        frame=snapshot[["respondent", "group", *KIND_COLUMNS[kind]]].reset_index(drop=True),
        respondents=snapshot,
        n_respondents_total=int(snapshot["respondent"].nunique()),
        options=dict(options),
    )
    return data.rank().to_dict()


def publish_report(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    *,
    question_code: str,
    method: str | None = None,
    weighting: str = "respondent",
    filters: priorities.Filters | None = None,
    exclusions: Sequence[str | int] = (),
    seed: int | None = priorities.DEFAULT_SEED,
    bootstrap: int = priorities.DEFAULT_BOOTSTRAP,
    language: str | None = None,
    top_k: int | None = None,
    round_number: int | None = None,
) -> Report:
    """Compute one priority question's result and store it as the next report version.

    Parameters
    ----------
    question_code, round_number
        The priority question (default round: the latest that asks it).
    method, weighting, filters, bootstrap, seed, top_k
        As ``priorities.question_results`` takes them (method None: the first registered).
    exclusions
        Responses to leave out: their ids (``priorities.analysis_frame``'s ``exclude``); a
        response that did not answer the question is refused (``InvalidParameter`` on
        ``exclusions``). Stored as ``parameters["exclusions"]`` (ids as text, sorted by number)
        and left out again by :func:`regenerate_report`.
    language
        Language of the labels stored with the results (default: the consultation's default).

    Raises ``Forbidden`` unless ``actor`` may analyse the consultation; ``InvalidParameter``,
    ``NoAnswers``, ``TooFewRespondents`` and ``InvalidState`` as ``question_results`` does;
    ``Conflict`` when the answers changed while the report was computed, or another version was
    published at the same moment. Records ``report.publish`` in the audit log; flushes.
    """
    require(actor, Action.ANALYSE, consultation)
    filters = filters or priorities.Filters()
    language = language or consultation.default_language
    if language not in consultation.languages:
        raise priorities.InvalidParameter(
            "language", f"{language!r} is not a language of this consultation"
        )
    arguments: dict[str, Any] = {
        "method": method or None,
        "weighting": weighting,
        "filters": filters,
        "bootstrap": bootstrap,
        "seed": seed,
        "top_k": top_k,
        "round_number": round_number,
        "exclude": exclusions,
    }
    try:
        data = priorities.analysis_frame(session, consultation, question_code, **arguments)
    except priorities.InvalidParameter as error:
        if error.field != "exclude":
            raise
        raise priorities.InvalidParameter("exclusions", error.message, error.values) from None
    arguments.update(method=data.method, round_number=data.round_number, exclude=data.exclusions)
    results = priorities.question_results(
        session, consultation, question_code, language=language, **arguments
    )
    frame = pseudonymise(data.respondents.reset_index(drop=True))
    digest = fingerprint(frame)
    # the results were computed from a second reading of the answers: it must be the same
    after = priorities.analysis_frame(session, consultation, question_code, **arguments)
    if fingerprint(pseudonymise(after.respondents.reset_index(drop=True))) != digest:
        raise Conflict("the answers changed while the report was computed: publish again")
    snapshot = FrameSnapshot.of(frame)

    question = session.get(Question, data.question_id)
    assert question is not None
    versions = software_versions()
    parameters = {
        "question_code": data.question_code,
        "round_number": data.round_number,
        "kind": data.kind,
        "method": data.method,
        "weighting": weighting,
        "filters": filters.as_dict(),
        "exclusions": list(data.exclusions),
        "bootstrap": results.bootstrap,
        "seed": seed,
        "top_k": top_k,
        "language": language,
        "min_group_size": int(data.options["min_group_size"]),
        "analysis_options": dict(data.options),
        "fingerprint_scheme": FINGERPRINT_SCHEME,
        "n_rows": len(frame),
        "n_respondents": int(frame["respondent"].nunique()),
        "software": versions,
    }
    session.execute(
        select(Consultation.id).where(Consultation.id == consultation.id).with_for_update()
    )
    latest = session.scalar(
        select(func.max(Report.version)).where(Report.consultation_id == consultation.id)
    )
    report = Report(
        consultation_id=consultation.id,
        round_id=question.round_id,
        version=int(latest or 0) + 1,
        language=language,
        parameters=parameters,
        data_fingerprint=digest,
        software_version=_software_label(versions),
        results={"results": results.as_dict(), "input": snapshot.as_json()},
        created_by=actor.id if actor is not None else None,
    )
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError:
        raise Conflict("another version was published at the same moment: publish again") from None
    audit.record(
        session,
        actor,
        "report.publish",
        report,
        consultation,
        version=report.version,
        question=data.question_code,
        method=data.method,
        weighting=weighting,
        exclusions=len(data.exclusions),
        fingerprint=digest,
    )
    return report


# --------------------------------------------------------------------------------------------
# Reading and checking


@dataclass(frozen=True)
class ReportSummary:
    """A published version as the list shows it."""

    version: int
    created_at: datetime
    created_by: str | None  # e-mail address of the analyst
    question_code: str
    round_number: int
    method: str
    weighting: str
    language: str
    n_respondents: int
    fingerprint: str
    fingerprint_prefix: str
    software_version: str


def list_reports(
    session: Session, actor: User | None, consultation: Consultation
) -> list[ReportSummary]:
    """The published versions of ``consultation``, newest first.

    Raises ``Forbidden`` unless ``actor`` may analyse the consultation.
    """
    require(actor, Action.ANALYSE, consultation)
    rows = session.execute(
        select(Report, User.email)
        .outerjoin(User, User.id == Report.created_by)
        .where(Report.consultation_id == consultation.id)
        .order_by(Report.version.desc())
    ).all()
    return [_summary(report, email) for report, email in rows]


def _summary(report: Report, email: str | None) -> ReportSummary:
    p = report.parameters or {}
    return ReportSummary(
        version=report.version,
        created_at=report.created_at,
        created_by=email,
        question_code=str(p.get("question_code", "")),
        round_number=int(p.get("round_number") or 0),
        method=str(p.get("method", "")),
        weighting=str(p.get("weighting", "")),
        language=report.language,
        n_respondents=int(p.get("n_respondents") or 0),
        fingerprint=report.data_fingerprint,
        fingerprint_prefix=report.data_fingerprint[:FINGERPRINT_PREFIX],
        software_version=report.software_version,
    )


def get_report(
    session: Session, actor: User | None, consultation: Consultation, version: int
) -> Report:
    """Published version ``version`` of ``consultation`` (``NotFound``, ``Forbidden``)."""
    require(actor, Action.ANALYSE, consultation)
    report = session.scalar(
        select(Report).where(Report.consultation_id == consultation.id, Report.version == version)
    )
    if report is None:
        raise NotFound("no such report version")
    return report


def report_summary(session: Session, report: Report) -> ReportSummary:
    """The list entry of one report."""
    email = session.scalar(select(User.email).where(User.id == report.created_by))
    return _summary(report, email)


@dataclass(frozen=True)
class Regeneration:
    """What recomputing a published version found.

    ``same_data``: the current answers (stored parameters) have the stored fingerprint;
    ``same_numbers``: the analysis of the current answers equals the published one;
    ``results``: the current results (``QuestionResults.as_dict()``; the published ones when
    nothing changed, since the computation is then the same), None when the current
    answers cannot be analysed any more (``current_error`` says why: ``no_answers``,
    ``too_few_respondents``, ``invalid``). ``snapshot_intact``: the stored frame still has the
    stored fingerprint; ``snapshot_numbers``: the analysis of the stored frame gives the
    published numbers (the published version can always be regenerated exactly).
    """

    version: int
    same_data: bool
    same_numbers: bool
    results: dict[str, Any] | None
    fingerprint_then: str
    fingerprint_now: str | None
    respondents_then: int
    respondents_now: int | None
    rows_then: int
    rows_now: int | None
    current_error: str | None
    snapshot_intact: bool
    snapshot_numbers: bool
    min_group_size_then: int
    min_group_size_now: int
    software_then: dict[str, str]
    software_now: dict[str, str]

    @property
    def respondents_difference(self) -> int | None:
        """Respondents now minus respondents at publication (None: not comparable)."""
        if self.respondents_now is None:
            return None
        return self.respondents_now - self.respondents_then

    @property
    def same_software(self) -> bool:
        return self.software_then == self.software_now


def regenerate_report(session: Session, actor: User | None, report: Report) -> Regeneration:
    """Recompute a published version from the current answers and from its stored frame.

    Raises ``Forbidden`` unless ``actor`` may analyse the report's consultation, and
    ``InvalidState`` for a report stored without its parameters or frame (not published by
    :func:`publish_report`). Writes nothing.
    """
    consultation = session.get(Consultation, report.consultation_id)
    if consultation is None:
        raise NotFound("no such consultation")
    require(actor, Action.ANALYSE, consultation)
    p = dict(report.parameters or {})
    stored = dict(report.results or {})
    published = dict(stored.get("results") or {})
    published_numbers = published.get("analysis")
    missing = sorted(REQUIRED_PARAMETERS - set(p))
    if missing or not stored.get("input") or published_numbers is None:
        raise InvalidState("this report was not published with what regenerating it needs")

    # 1. the current answers with the stored parameters (reading them is cheap)
    arguments: dict[str, Any] = {
        "method": p["method"],
        "weighting": p["weighting"],
        "filters": priorities.Filters(**{k: tuple(v) for k, v in p["filters"].items()}),
        "bootstrap": int(p["bootstrap"]),
        "seed": p["seed"],
        "top_k": p["top_k"],
        "round_number": p["round_number"],
        # a response left out then and gone since (withdrawn) is left out all the same
        "exclude": tuple(str(r) for r in p.get("exclusions") or ()),
        "ignore_unknown_exclusions": True,
    }
    data = frame = fingerprint_now = respondents_now = rows_now = error = None
    same_options = False
    try:
        data = priorities.analysis_frame(session, consultation, p["question_code"], **arguments)
        frame = pseudonymise(data.respondents.reset_index(drop=True))
        fingerprint_now = fingerprint(frame)
        respondents_now = int(frame["respondent"].nunique())
        rows_now = len(frame)
        same_options = _same(data.options, p["analysis_options"])
    except priorities.NoAnswers:
        error, respondents_now, rows_now = "no_answers", 0, 0
    except priorities.TooFewRespondents:
        error = "too_few_respondents"
    except InvalidState:
        error = "invalid"
    same_data = fingerprint_now == report.data_fingerprint

    # 2. the stored frame, with the stored options: the published version again
    snapshot = FrameSnapshot.from_json(stored["input"]).frame()
    snapshot_intact = fingerprint(snapshot) == report.data_fingerprint
    try:
        again = _reproduce(snapshot, p["kind"], p["method"], p["analysis_options"])
        snapshot_numbers = _same(again, published_numbers)
    except (analysis.InputError, KeyError, TypeError, ValueError):
        snapshot_numbers = False

    # 3. the current answers' numbers: when the current frame equals the stored one (same rows
    # in the same order, same dtypes) and the options are the same, this is the computation of
    # 2. and is not run twice; otherwise it is run
    current: dict[str, Any] | None = None
    same_numbers = False
    identical = frame is not None and same_options and frame.equals(snapshot)
    if identical and snapshot_intact and snapshot_numbers:
        same_numbers, current = True, published
    elif data is not None:
        try:
            results = priorities.question_results(
                session, consultation, p["question_code"], language=report.language, **arguments
            )
        except InvalidState:
            error = "invalid"
        else:
            current = results.as_dict()
            same_numbers = _same(results.analysis, published_numbers)
    return Regeneration(
        version=report.version,
        same_data=same_data,
        same_numbers=same_numbers,
        results=current,
        fingerprint_then=report.data_fingerprint,
        fingerprint_now=fingerprint_now,
        respondents_then=int(p.get("n_respondents") or 0),
        respondents_now=respondents_now,
        rows_then=int(p.get("n_rows") or 0),
        rows_now=rows_now,
        current_error=error,
        snapshot_intact=snapshot_intact,
        snapshot_numbers=snapshot_numbers,
        min_group_size_then=int(p.get("min_group_size") or 0),
        min_group_size_now=int(consultation.min_group_size),
        software_then=dict(p.get("software") or {}),
        software_now=software_versions(),
    )
