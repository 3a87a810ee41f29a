"""Export a whole consultation as a JSON document, and import one as a new draft consultation.

The document (``FORMAT``, ``VERSION``) holds everything that describes a consultation — its
settings, languages, anonymity, schedule, every translated text, objectives, items, stakeholder
groups, rounds, sections, questions with their settings and display conditions, options and
question items — and nothing that belongs to one installation: no database ids (things refer to
each other by code, rounds by number), no state (an import is always a draft), no responses,
invitations, members or timestamps of creation. Lists are in display order; positions are
implied by that order. Export → import → export gives the same document.

Imports are validated completely before anything is created; the first problem is reported
with its JSON path, e.g. ``$.rounds[0].sections[1].questions[2].type: unknown question type``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import (
    AnonymityMode,
    Consultation,
    ConsultationState,
    Item,
    ItemKind,
    Membership,
    MembershipRole,
    Objective,
    Option,
    Question,
    QuestionItem,
    Round,
    Section,
    StakeholderGroup,
    User,
)
from consult.models.consultation import RETENTION_DAYS
from consult.questions import type_names
from consult.services.audit import record
from consult.services.errors import Conflict, Forbidden, NotFound, ServiceError
from consult.services.permissions import can_create_consultation

FORMAT = "consult.consultation"
VERSION = 1
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_CODE = 64
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
#: Address names that are pages of the workspace (/manage/consultations/new, .../import).
RESERVED_SLUGS = frozenset({"new", "import"})
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?$")
INT_SETTINGS = frozenset(
    {
        "min_select",
        "max_select",
        "top_k",
        "pairs",
        "set_size",
        "tasks",
        "budget",
        "max_length",
        "scale_min",
        "scale_max",
    }
)
BOOL_SETTINGS = frozenset({"allow_tie", "integer", "dont_know"})
NUMBER_SETTINGS = frozenset({"min", "max"})
CONDITION_TESTS = frozenset({"equals", "in", "answered", "gte", "lte"})


class InvalidDocument(ServiceError):
    """The document to import is malformed; the message names the JSON path of the problem."""


# --- the import report, shared with the XLSForm import ---------------------------------------


@dataclass(frozen=True)
class ReportEntry:
    """One thing an import or export left out or changed: where, what, and why."""

    where: str
    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what} — {self.why}"


@dataclass
class TransferReport:
    """What an import or export did: counts of what it created and the entries it reports."""

    format: str
    entries: list[ReportEntry] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, where: str, what: str, why: str) -> None:
        self.entries.append(ReportEntry(where, what, why))

    def as_dict(self, limit: int = 200) -> dict[str, Any]:
        """A JSON-ready summary (for the audit log), at most ``limit`` entries."""
        return {
            "format": self.format,
            "counts": dict(self.counts),
            "entries": [vars(e) for e in self.entries[:limit]],
            "entries_total": len(self.entries),
        }


def count_questionnaire(consultation: Consultation) -> dict[str, int]:
    """How many of each thing a consultation holds."""
    rounds = consultation.rounds
    return {
        "rounds": len(rounds),
        "sections": sum(len(r.sections) for r in rounds),
        "questions": sum(len(r.questions) for r in rounds),
        "items": len(consultation.items),
        "objectives": len(consultation.objectives),
        "stakeholder_groups": len(consultation.stakeholder_groups),
    }


def audit(
    session: Session,
    consultation: Consultation,
    action: str,
    actor: User | None,
    details: dict[str, Any],
) -> None:
    """Record an import or export in the audit log."""
    record(session, actor, action, consultation, **details)


def require_importer(actor: User | None) -> None:
    """Raise ``Forbidden`` unless ``actor`` may create consultations (None: the command line)."""
    if actor is not None and not can_create_consultation(actor):
        raise Forbidden("only facilitators and administrators may create consultations")


def adopt(session: Session, consultation: Consultation, actor: User | None) -> None:
    """Make ``actor`` a facilitator member of the consultation they imported (as on creation)."""
    if actor is not None:
        session.add(
            Membership(user=actor, consultation=consultation, role=MembershipRole.FACILITATOR)
        )
        session.flush()


def find_consultation(session: Session, slug: str) -> Consultation:
    """The consultation with ``slug``; ``NotFound`` otherwise."""
    if not (0 < len(slug) <= 80 and slug.isprintable()):  # e.g. a NUL, which PostgreSQL refuses
        raise NotFound(f"no consultation with the slug {slug!r}")
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        raise NotFound(f"no consultation with the slug {slug!r}")
    return consultation


def check_new_slug(session: Session, slug: str) -> str:
    """``slug`` if well formed and free; ``InvalidDocument`` or ``Conflict`` otherwise."""
    if not SLUG_RE.match(slug):
        raise InvalidDocument(
            f"the slug {slug!r} is not valid: use 1-80 lowercase letters, digits and hyphens"
        )
    if slug in RESERVED_SLUGS or session.scalar(
        select(Consultation.id).where(Consultation.slug == slug)
    ):
        raise Conflict(f"the slug {slug!r} is already taken; choose another one with --slug")
    return slug


# --- export ------------------------------------------------------------------------------------


def _ordered(rows: Iterable[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: (r.position, r.id))


def _texts(texts: dict[str, str] | None, languages: Sequence[str]) -> dict[str, str]:
    texts = dict(texts or {})
    order = [code for code in languages if code in texts]
    return {code: texts[code] for code in order + sorted(set(texts) - set(order))}


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def export_consultation(
    session: Session, consultation: Consultation, actor: User | None = None
) -> dict[str, Any]:
    """The consultation as a JSON-ready document; records a ``consultation.export`` event."""
    document = consultation_document(consultation)
    audit(session, consultation, "consultation.export", actor, {"format": "json"})
    return document


def consultation_document(consultation: Consultation) -> dict[str, Any]:
    """The consultation as a JSON-ready document (records nothing)."""
    langs = list(consultation.languages)
    objective_code = {o.id: o.code for o in consultation.objectives}
    rounds = sorted(consultation.rounds, key=lambda r: r.number)
    round_number = {r.id: r.number for r in rounds}
    document = {
        "format": FORMAT,
        "version": VERSION,
        "consultation": {
            "slug": consultation.slug,
            "languages": langs,
            "default_language": consultation.default_language,
            "anonymity": AnonymityMode(consultation.anonymity).value,
            "open_link": consultation.open_link,
            "opens_at": _when(consultation.opens_at),
            "closes_at": _when(consultation.closes_at),
            "min_group_size": consultation.min_group_size,
            "retention_days": consultation.retention_days,
            "title": _texts(consultation.title, langs),
            "description": _texts(consultation.description, langs),
            "organiser": _texts(consultation.organiser, langs),
            "privacy_notice": _texts(consultation.privacy_notice, langs),
        },
        "objectives": [
            {"code": o.code, "title": _texts(o.title, langs)}
            for o in _ordered(consultation.objectives)
        ],
        "items": [
            {
                "code": i.code,
                "kind": ItemKind(i.kind).value,
                "objective": objective_code.get(i.objective_id) if i.objective_id else None,
                "label": _texts(i.label, langs),
                "description": _texts(i.description, langs),
            }
            for i in _ordered(consultation.items)
        ],
        "stakeholder_groups": [
            {"code": g.code, "name": _texts(g.name, langs), "target_share": g.target_share}
            for g in _ordered(consultation.stakeholder_groups)
        ],
        "rounds": [
            {
                "number": r.number,
                "previous_round": round_number.get(r.previous_round_id)
                if r.previous_round_id
                else None,
                "title": _texts(r.title, langs),
                "opens_at": _when(r.opens_at),
                "closes_at": _when(r.closes_at),
                "feedback": dict(r.feedback or {}),
                "sections": [_export_section(s, langs) for s in _ordered(r.sections)],
            }
            for r in rounds
        ],
    }
    return document


def _export_section(section: Section, langs: list[str]) -> dict[str, Any]:
    return {
        "code": section.code,
        "title": _texts(section.title, langs),
        "description": _texts(section.description, langs),
        "display_condition": section.display_condition,
        "questions": [_export_question(q, langs) for q in _ordered(section.questions)],
    }


def _export_question(q: Question, langs: list[str]) -> dict[str, Any]:
    return {
        "code": q.code,
        "type": q.type,
        "required": q.required,
        "text": _texts(q.text, langs),
        "help": _texts(q.help, langs),
        "settings": dict(q.settings or {}),
        "display_condition": q.display_condition,
        "options": [
            {"code": o.code, "value": o.value, "label": _texts(o.label, langs)}
            for o in _ordered(q.options)
        ],
        "items": [qi.item.code for qi in _ordered(q.question_items)],
    }


def dump_document(document: dict[str, Any]) -> str:
    """The document as UTF-8 JSON text (stable key order, two-space indent)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --- import ------------------------------------------------------------------------------------


def parse_json_document(raw: bytes) -> dict[str, Any]:
    """A JSON document from bytes; ``InvalidDocument`` naming the line of a syntax error."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidDocument(f"the JSON file is larger than {MAX_DOCUMENT_BYTES // 2**20} MB")

    def refuse_constant(name: str) -> None:
        raise InvalidDocument(f"JSON value {name} is not allowed")

    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text, parse_constant=refuse_constant)
    except UnicodeDecodeError:
        raise InvalidDocument("the file is not UTF-8 text (is it a JSON export?)") from None
    except json.JSONDecodeError as exc:
        raise InvalidDocument(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidDocument("not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise InvalidDocument("$: the document must be a JSON object")
    return data


def import_consultation(
    session: Session,
    data: Any,
    slug: str | None = None,
    actor: User | None = None,
    allowed_languages: Sequence[str] | None = None,
) -> tuple[Consultation, TransferReport]:
    """Create a draft consultation from an exported document.

    Parameters: ``data`` the parsed document; ``slug`` replaces the document's slug;
    ``allowed_languages`` (the platform's languages) refuses documents in others.
    Raises ``InvalidDocument`` naming the JSON path of the first problem, ``Conflict`` if the
    slug is taken, ``Forbidden`` unless ``actor`` (None: the command line) may create
    consultations; the actor becomes the new consultation's facilitator. Flushes, never
    commits; records a ``consultation.import`` event.
    """
    require_importer(actor)
    consultation, report = build_consultation(session, data, slug, allowed_languages)
    adopt(session, consultation, actor)
    audit(session, consultation, "consultation.import", actor, report.as_dict())
    return consultation, report


def build_consultation(
    session: Session,
    data: Any,
    slug: str | None = None,
    allowed_languages: Sequence[str] | None = None,
) -> tuple[Consultation, TransferReport]:
    """``import_consultation`` without the audit event (for a copy, which records its own)."""
    doc = _Validator(allowed_languages).document(data)
    info = doc["consultation"]
    consultation = Consultation(
        slug=check_new_slug(session, slug if slug is not None else info["slug"]),
        state=ConsultationState.DRAFT,
        languages=list(info["languages"]),
        default_language=info["default_language"],
        anonymity=AnonymityMode(info["anonymity"]),
        open_link=info["open_link"],
        opens_at=_parse_when(info["opens_at"]),
        closes_at=_parse_when(info["closes_at"]),
        min_group_size=info["min_group_size"],
        retention_days=info.get("retention_days"),
        is_demo=False,
        title=info["title"],
        description=info["description"],
        organiser=info["organiser"],
        privacy_notice=info["privacy_notice"],
    )
    objectives = {
        o["code"]: Objective(code=o["code"], position=i, title=o["title"])
        for i, o in enumerate(doc["objectives"])
    }
    items = {
        it["code"]: Item(
            code=it["code"],
            kind=ItemKind(it["kind"]),
            objective=objectives[it["objective"]] if it["objective"] else None,
            position=i,
            label=it["label"],
            description=it["description"],
        )
        for i, it in enumerate(doc["items"])
    }
    consultation.objectives = list(objectives.values())
    consultation.items = list(items.values())
    consultation.stakeholder_groups = [
        StakeholderGroup(code=g["code"], position=i, name=g["name"], target_share=g["target_share"])
        for i, g in enumerate(doc["stakeholder_groups"])
    ]
    rounds: dict[int, Round] = {}
    for r in doc["rounds"]:
        round_ = Round(
            number=r["number"],
            title=r["title"],
            opens_at=_parse_when(r["opens_at"]),
            closes_at=_parse_when(r["closes_at"]),
            feedback=r["feedback"],
        )
        rounds[r["number"]] = round_
        _build_sections(round_, r["sections"], items)
    consultation.rounds = list(rounds.values())
    session.add(consultation)
    session.flush()
    for r in doc["rounds"]:  # ids exist now
        if r["previous_round"] is not None:
            rounds[r["number"]].previous_round_id = rounds[r["previous_round"]].id
    report = TransferReport(format="json", counts=count_questionnaire(consultation))
    return consultation, report


def _build_sections(round_: Round, sections: list[dict[str, Any]], items: dict[str, Item]) -> None:
    position = 0
    round_.sections = []
    round_.questions = []
    for i, s in enumerate(sections):
        section = Section(
            code=s["code"],
            position=i,
            title=s["title"],
            description=s["description"],
            display_condition=s["display_condition"],
        )
        round_.sections.append(section)
        for q in s["questions"]:
            round_.questions.append(
                Question(
                    code=q["code"],
                    type=q["type"],
                    section=section,
                    position=position,
                    required=q["required"],
                    text=q["text"],
                    help=q["help"],
                    settings=q["settings"],
                    display_condition=q["display_condition"],
                    options=[
                        Option(code=o["code"], position=j, value=o["value"], label=o["label"])
                        for j, o in enumerate(q["options"])
                    ],
                    question_items=[
                        QuestionItem(item=items[code], position=j)
                        for j, code in enumerate(q["items"])
                    ],
                )
            )
            position += 1


def _parse_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value is not None else None


# --- validation --------------------------------------------------------------------------------


class _Validator:
    """Checks a document from top to bottom; the first problem raises ``InvalidDocument``."""

    def __init__(self, allowed_languages: Sequence[str] | None) -> None:
        self.allowed = list(allowed_languages) if allowed_languages is not None else None
        self.languages: list[str] = []

    # generic checks
    def fail(self, path: str, message: str) -> None:
        raise InvalidDocument(f"{path}: {message}")

    def obj(
        self, value: Any, path: str, keys: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
        missing = [k for k in keys if k not in value]
        if missing:
            self.fail(path, f"missing key {missing[0]!r}")
        unknown = [k for k in value if k not in keys and k not in optional]
        if unknown:
            self.fail(path, f"unknown key {unknown[0]!r}")
        return value

    def list_(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, "must be a list")
        return value

    def boolean(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")

    def number(self, value: Any, path: str, nullable: bool = False) -> None:
        if value is None and nullable:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, "must be a number" + (" or null" if nullable else ""))
        if not math.isfinite(value):
            self.fail(path, "must be a finite number")

    def integer(self, value: Any, path: str, low: int = 0) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be a whole number")
        if value < low:
            self.fail(path, f"must be at least {low}")

    def code(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
        if len(value) > MAX_CODE or value != value.strip() or not value.isprintable():
            self.fail(path, f"must be at most {MAX_CODE} printable characters without spaces")
        return value

    def unique(self, codes: list[str], path: str, what: str) -> None:
        seen: set[str] = set()
        for i, code in enumerate(codes):
            if code in seen:
                self.fail(f"{path}[{i}].code", f"duplicate {what} code {code!r}")
            seen.add(code)

    def texts(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be an object of texts keyed by language")
        for lang, text in value.items():
            if lang not in self.languages:
                self.fail(f"{path}.{lang}", f"{lang!r} is not one of the consultation's languages")
            if not isinstance(text, str):
                self.fail(f"{path}.{lang}", "must be a string")

    def when(self, value: Any, path: str) -> None:
        if value is None:
            return
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.fail(path, "must be null or an ISO 8601 time with a UTC offset")

    # the document
    def document(self, data: Any) -> dict[str, Any]:
        doc = self.obj(
            data,
            "$",
            [
                "format",
                "version",
                "consultation",
                "objectives",
                "items",
                "stakeholder_groups",
                "rounds",
            ],
        )
        if doc["format"] != FORMAT:
            self.fail("$.format", f"must be {FORMAT!r} (is this a Consult consultation export?)")
        if doc["version"] != VERSION:
            self.fail("$.version", f"version {doc['version']!r} is not supported (expected 1)")
        self.consultation(doc["consultation"])
        objectives = self.coded(doc["objectives"], "$.objectives", "objective", ["code", "title"])
        for i, o in enumerate(doc["objectives"]):
            self.texts(o["title"], f"$.objectives[{i}].title")
        item_keys = ["code", "kind", "objective", "label", "description"]
        items = self.coded(doc["items"], "$.items", "item", item_keys)
        kinds = [k.value for k in ItemKind]
        for i, it in enumerate(doc["items"]):
            path = f"$.items[{i}]"
            if it["kind"] not in kinds:
                self.fail(f"{path}.kind", f"must be one of {', '.join(kinds)}")
            if it["objective"] is not None and it["objective"] not in objectives:
                self.fail(f"{path}.objective", f"no objective has the code {it['objective']!r}")
            self.texts(it["label"], f"{path}.label")
            self.texts(it["description"], f"{path}.description")
        group_keys = ["code", "name", "target_share"]
        self.coded(doc["stakeholder_groups"], "$.stakeholder_groups", "group", group_keys)
        for i, g in enumerate(doc["stakeholder_groups"]):
            self.texts(g["name"], f"$.stakeholder_groups[{i}].name")
            self.number(g["target_share"], f"$.stakeholder_groups[{i}].target_share", True)
        self.rounds(doc["rounds"], set(items))
        return doc

    def coded(self, value: Any, path: str, what: str, keys: list[str]) -> set[str]:
        rows = self.list_(value, path)
        for i, row in enumerate(rows):
            self.obj(row, f"{path}[{i}]", keys)
            self.code(row["code"], f"{path}[{i}].code")
        self.unique([row["code"] for row in rows], path, what)
        return {row["code"] for row in rows}

    def consultation(self, value: Any) -> None:
        path = "$.consultation"
        info = self.obj(
            value,
            path,
            [
                "slug",
                "languages",
                "default_language",
                "anonymity",
                "open_link",
                "opens_at",
                "closes_at",
                "min_group_size",
                "title",
                "description",
                "organiser",
                "privacy_notice",
            ],
            optional=["retention_days"],  # added after the first exports: may be absent
        )
        if not isinstance(info["slug"], str) or not SLUG_RE.match(info["slug"]):
            self.fail(f"{path}.slug", "must be 1-80 lowercase letters, digits and hyphens")
        langs = self.list_(info["languages"], f"{path}.languages")
        if not langs:
            self.fail(f"{path}.languages", "must name at least one language")
        for i, lang in enumerate(langs):
            if not isinstance(lang, str) or not LANGUAGE_RE.match(lang):
                self.fail(f"{path}.languages[{i}]", "must be a language code such as 'tr'")
            if lang in langs[:i]:
                self.fail(f"{path}.languages[{i}]", f"{lang!r} is listed twice")
            if self.allowed is not None and lang not in self.allowed:
                self.fail(
                    f"{path}.languages[{i}]",
                    f"{lang!r} is not offered here (languages: {', '.join(self.allowed)})",
                )
        self.languages = langs
        if info["default_language"] not in langs:
            self.fail(f"{path}.default_language", "must be one of the languages")
        modes = [m.value for m in AnonymityMode]
        if info["anonymity"] not in modes:
            self.fail(f"{path}.anonymity", f"must be one of {', '.join(modes)}")
        self.boolean(info["open_link"], f"{path}.open_link")
        self.when(info["opens_at"], f"{path}.opens_at")
        self.when(info["closes_at"], f"{path}.closes_at")
        opens, closes = _parse_when(info["opens_at"]), _parse_when(info["closes_at"])
        if opens is not None and closes is not None and closes <= opens:
            self.fail(f"{path}.closes_at", "must be after opens_at")
        self.integer(info["min_group_size"], f"{path}.min_group_size", low=1)
        if info.get("retention_days") is not None:
            low, high = RETENTION_DAYS
            self.integer(info["retention_days"], f"{path}.retention_days", low=low)
            if info["retention_days"] > high:
                self.fail(f"{path}.retention_days", f"must be at most {high}")
        for key in ("title", "description", "organiser", "privacy_notice"):
            self.texts(info[key], f"{path}.{key}")

    def rounds(self, value: Any, items: set[str]) -> None:
        rounds = self.list_(value, "$.rounds")
        keys = ["number", "previous_round", "title", "opens_at", "closes_at", "feedback"]
        numbers: list[int] = []
        for i, r in enumerate(rounds):
            path = f"$.rounds[{i}]"
            self.obj(r, path, [*keys, "sections"])
            self.integer(r["number"], f"{path}.number", low=1)
            if r["number"] in numbers:
                self.fail(f"{path}.number", f"round {r['number']} appears twice")
            numbers.append(r["number"])
            self.texts(r["title"], f"{path}.title")
            self.when(r["opens_at"], f"{path}.opens_at")
            self.when(r["closes_at"], f"{path}.closes_at")
            if not isinstance(r["feedback"], dict):
                self.fail(f"{path}.feedback", "must be an object")
            self.sections(r["sections"], path, items)
        for i, r in enumerate(rounds):
            previous = r["previous_round"]
            if previous is not None and (previous not in numbers or previous == r["number"]):
                self.fail(f"$.rounds[{i}].previous_round", "must be null or another round's number")

    def sections(self, value: Any, round_path: str, items: set[str]) -> None:
        sections = self.list_(value, f"{round_path}.sections")
        keys = ["code", "title", "description", "display_condition", "questions"]
        self.coded(sections, f"{round_path}.sections", "section", keys)
        question_codes: list[str] = []
        for i, s in enumerate(sections):
            path = f"{round_path}.sections[{i}]"
            self.texts(s["title"], f"{path}.title")
            self.texts(s["description"], f"{path}.description")
            questions = self.list_(s["questions"], f"{path}.questions")
            for j, q in enumerate(questions):
                self.question(q, f"{path}.questions[{j}]", items)
                if q["code"] in question_codes:
                    self.fail(f"{path}.questions[{j}].code", f"duplicate question {q['code']!r}")
                question_codes.append(q["code"])
        known = set(question_codes)
        for i, s in enumerate(sections):
            path = f"{round_path}.sections[{i}]"
            self.condition(s["display_condition"], f"{path}.display_condition", known)
            for j, q in enumerate(s["questions"]):
                where = f"{path}.questions[{j}].display_condition"
                self.condition(q["display_condition"], where, known)

    def question(self, value: Any, path: str, items: set[str]) -> None:
        keys = ["code", "type", "required", "text", "help", "settings", "display_condition"]
        q = self.obj(value, path, [*keys, "options", "items"])
        self.code(q["code"], f"{path}.code")
        if q["type"] not in type_names():
            self.fail(
                f"{path}.type",
                f"unknown question type {q['type']!r} (known: {', '.join(type_names())})",
            )
        self.boolean(q["required"], f"{path}.required")
        self.texts(q["text"], f"{path}.text")
        self.texts(q["help"], f"{path}.help")
        self.settings(q["settings"], f"{path}.settings")
        options = self.coded(q["options"], f"{path}.options", "option", ["code", "value", "label"])
        del options
        for k, o in enumerate(q["options"]):
            self.number(o["value"], f"{path}.options[{k}].value", nullable=True)
            self.texts(o["label"], f"{path}.options[{k}].label")
        refs = self.list_(q["items"], f"{path}.items")
        for k, code in enumerate(refs):
            if not isinstance(code, str) or code not in items:
                self.fail(f"{path}.items[{k}]", f"no item has the code {code!r}")
            if code in refs[:k]:
                self.fail(f"{path}.items[{k}]", f"item {code!r} is listed twice")

    def settings(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
        for key, setting in value.items():
            if key in INT_SETTINGS:
                self.integer(setting, f"{path}.{key}", low=-(10**12))
            elif key in BOOL_SETTINGS:
                self.boolean(setting, f"{path}.{key}")
            elif key in NUMBER_SETTINGS:
                self.number(setting, f"{path}.{key}")

    def condition(self, value: Any, path: str, questions: set[str]) -> None:
        if value is None:
            return
        if not isinstance(value, dict) or not isinstance(value.get("question"), str):
            self.fail(path, "must be null or an object with a 'question' code")
        if value["question"] not in questions:
            self.fail(
                f"{path}.question", f"no question in this round has the code {value['question']!r}"
            )
        tests = set(value) - {"question"}
        if (
            not tests
            or not tests <= CONDITION_TESTS
            or (len(tests) > 1 and tests != {"gte", "lte"})
        ):
            self.fail(path, "must test one of equals, in, answered, or gte and/or lte")
        if "in" in value and not isinstance(value["in"], list):
            self.fail(f"{path}.in", "must be a list")
        if "answered" in value:
            self.boolean(value["answered"], f"{path}.answered")
        for key in ("gte", "lte"):
            if key in value:
                self.number(value[key], f"{path}.{key}")
