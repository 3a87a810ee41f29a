"""The questionnaire builder: sections, questions, options, items, conditions and texts.

Every function takes the acting user and the consultation, checks that the user may edit it
(``Forbidden``), and works on the consultation's editable round: the newest draft round if there
is one (round 1 before opening, or a Delphi round N+1 prepared while round N is open or already
closed), else the open round. A draft round may change freely (it has no answers); the open round
only in ways that keep stored answers meaningful (``lifecycle.check_question_change``: no type
change, no option or item removed once a question has answers, and no answered question
deleted); a closed consultation without a draft round, and an archived one, not at all
(``InvalidState``). Deleting or renaming a question keeps its round's Delphi feedback list
(``Round.feedback["questions"]``) in step. Malformed input raises ``InvalidQuestionnaire``
naming the field. Display conditions may only refer to an earlier question. Every change is
recorded in the audit log. Functions flush, never commit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import (
    Answer,
    Consultation,
    ConsultationState,
    Option,
    Question,
    QuestionItem,
    Round,
    RoundState,
    Section,
    User,
)
from consult.questions import type_names
from consult.services import lifecycle
from consult.services.audit import record
from consult.services.concurrency import check_unchanged
from consult.services.errors import InvalidState, NotFound, ServiceError
from consult.services.participation import FEEDBACK_TYPES, Survey, build_survey
from consult.services.permissions import Action, require

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CODE_HINT = "use 1-64 lowercase letters (a-z), digits and underscores, starting with a letter"
MAX_TEXT = 10_000
CONDITION_TESTS = ("equals", "in", "answered", "gte", "lte")

# Types answering about options, about items, or either/both (see consult/questions).
OPTION_TYPES = frozenset({"single_choice", "multiple_choice"})
SCALE_TYPES = frozenset({"rating", "matrix"})  # labelled options optional
ITEM_TYPES = frozenset({"matrix", "ranking", "pairwise", "best_worst", "ahp", "points"})

# The settings each type understands: name → kind ("int", "bool", "number", "choice").
SETTINGS: dict[str, dict[str, str]] = {
    "single_choice": {"profile_field": "choice"},
    "multiple_choice": {"min_select": "int", "max_select": "int"},
    "rating": {"scale_min": "int", "scale_max": "int", "dont_know": "bool"},
    "matrix": {"scale_min": "int", "scale_max": "int", "dont_know": "bool"},
    "ranking": {"top_k": "int"},
    "pairwise": {"pairs": "int", "allow_tie": "bool"},
    "best_worst": {"set_size": "int", "tasks": "int"},
    "ahp": {"pairs": "int"},
    "points": {"budget": "int"},
    "number": {"min": "number", "max": "number", "integer": "bool"},
    "short_text": {"max_length": "int"},
    "long_text": {"max_length": "int"},
}
PROFILE_FIELDS = ("stakeholder_group", "district")


class InvalidQuestionnaire(ServiceError):
    """The input for a section or question is malformed; ``field`` names the form field."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


# --- input and output as plain data --------------------------------------------------------------


@dataclass
class OptionInput:
    """An option (a choice or a labelled scale point) as typed by the facilitator."""

    code: str
    label: dict[str, str]
    value: float | None = None


@dataclass
class QuestionInput:
    """Everything a question is, as typed by the facilitator (texts keyed by language)."""

    code: str
    type: str
    text: dict[str, str]
    help: dict[str, str] = field(default_factory=dict)
    required: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    options: list[OptionInput] = field(default_factory=list)
    item_codes: list[str] = field(default_factory=list)
    display_condition: dict[str, Any] | None = None


@dataclass
class SectionInput:
    """A section (a page) as typed by the facilitator."""

    code: str
    title: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    display_condition: dict[str, Any] | None = None


@dataclass(frozen=True)
class QuestionRow:
    """A question in the overview."""

    id: int
    code: str
    type: str
    text: dict[str, str]
    required: bool
    has_condition: bool
    answers: int


@dataclass(frozen=True)
class SectionRow:
    """A section and its questions in the overview."""

    id: int
    code: str
    title: dict[str, str]
    has_condition: bool
    questions: tuple[QuestionRow, ...]


@dataclass(frozen=True)
class Overview:
    """The editable round's questionnaire; ``editable`` is False when no round can change.

    ``round_state`` is the shown round's state (``draft``, ``open`` or ``closed``); ``rounds``
    how many rounds the consultation has.
    """

    round_number: int | None
    editable: bool
    state: str
    sections: tuple[SectionRow, ...]
    question_codes: tuple[str, ...]
    round_state: str | None = None
    rounds: int = 0


@dataclass(frozen=True)
class TranslationRow:
    """One participant-facing text in every language; ``missing`` lists where it is lacking.

    ``section_id``/``question_id`` say which builder form edits it (None: not the builder).
    """

    where: str
    what: str
    texts: dict[str, str]
    missing: tuple[str, ...]
    section_id: int | None = None
    question_id: int | None = None
    entry_kind: str | None = None  # objective, item or group: edited on the lists page
    entry_id: int | None = None


# --- reading -------------------------------------------------------------------------------------


def overview(session: Session, actor: User | None, consultation: Consultation) -> Overview:
    """The sections and questions of the editable round, in order, with answer counts."""
    require(actor, Action.EDIT, consultation)
    round_ = _round_or_none(consultation)
    if round_ is None:
        return Overview(None, False, consultation.state.value, (), ())
    counts = _answer_counts(session, round_)
    sections = tuple(
        SectionRow(
            id=s.id,
            code=s.code,
            title=dict(s.title or {}),
            has_condition=bool(s.display_condition),
            questions=tuple(
                QuestionRow(
                    id=q.id,
                    code=q.code,
                    type=q.type,
                    text=dict(q.text or {}),
                    required=q.required,
                    has_condition=bool(q.display_condition),
                    answers=counts.get(q.id, 0),
                )
                for q in _ordered(s.questions)
            ),
        )
        for s in _ordered(round_.sections)
    )
    return Overview(
        round_number=round_.number,
        editable=_round_is_editable(consultation, round_),
        state=consultation.state.value,
        sections=sections,
        question_codes=tuple(q.code for q in _questions_in_order(round_)),
        round_state=RoundState(round_.state).value,
        rounds=len(consultation.rounds),
    )


def section_input(
    session: Session, actor: User | None, consultation: Consultation, section_id: int
) -> SectionInput:
    """The section ``section_id`` as form input (``NotFound`` if not in this consultation)."""
    require(actor, Action.EDIT, consultation)
    return _section_as_input(_section(session, consultation, section_id))


def _section_as_input(s: Section) -> SectionInput:
    return SectionInput(
        code=s.code,
        title=dict(s.title or {}),
        description=dict(s.description or {}),
        display_condition=dict(s.display_condition) if s.display_condition else None,
    )


def question_input(
    session: Session, actor: User | None, consultation: Consultation, question_id: int
) -> QuestionInput:
    """The question ``question_id`` as form input (``NotFound`` if not in this consultation)."""
    require(actor, Action.EDIT, consultation)
    return _question_as_input(_question(session, consultation, question_id))


def _question_as_input(q: Question) -> QuestionInput:
    return QuestionInput(
        code=q.code,
        type=q.type,
        text=dict(q.text or {}),
        help=dict(q.help or {}),
        required=q.required,
        settings=dict(q.settings or {}),
        options=[OptionInput(o.code, dict(o.label or {}), o.value) for o in _ordered(q.options)],
        item_codes=[qi.item.code for qi in _ordered(q.question_items)],
        display_condition=dict(q.display_condition) if q.display_condition else None,
    )


def earlier_question_codes(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    *,
    section_id: int | None = None,
    question_id: int | None = None,
) -> list[str]:
    """Codes a display condition may refer to: questions before the question or section.

    Without ``question_id``, a new question goes last in ``section_id``; without either, a new
    section goes last.
    """
    require(actor, Action.EDIT, consultation)
    round_ = _round_or_none(consultation)
    if round_ is None:
        return []
    ordered = _questions_in_order(round_)
    if question_id is not None:
        q = _question(session, consultation, question_id)
        return [o.code for o in ordered[: ordered.index(q)]]
    if section_id is not None:
        section = _section(session, consultation, section_id)
        sections = _ordered(round_.sections)
        before = sections[: sections.index(section) + 1]
        return [q.code for s in before for q in _ordered(s.questions)]
    return [q.code for q in ordered]


def item_choices(consultation: Consultation, language: str) -> list[tuple[str, str]]:
    """The consultation's items as ``(code, label)`` pairs for the item checkboxes."""
    from consult.services.consultations import localized

    return [
        (i.code, localized(dict(i.label or {}), language, consultation.default_language) or i.code)
        for i in _ordered(consultation.items)
    ]


def translation_table(consultation: Consultation) -> list[TranslationRow]:
    """Every participant-facing text side by side per language, missing ones flagged.

    The texts and the rule for "missing" are those of ``lifecycle.missing_translations`` (which
    refuses opening), so the table and the opening check never disagree.
    """
    missing = {(m.where, m.what): m.languages for m in lifecycle.missing_translations(consultation)}
    rows: list[TranslationRow] = []

    def add(where: str, what: str, texts: Mapping[str, str] | None, **edit: Any) -> None:
        rows.append(
            TranslationRow(
                where=where,
                what=what,
                texts=dict(texts or {}),
                missing=tuple(missing.get((where, what), ())),
                **edit,
            )
        )

    add("consultation", "title", consultation.title)
    add("consultation", "description", consultation.description)
    add("consultation", "organiser", consultation.organiser)
    add("consultation", "privacy notice", consultation.privacy_notice)
    for objective in _ordered(consultation.objectives):
        entry = {"entry_kind": "objective", "entry_id": objective.id}
        add(f"objective {objective.code}", "title", objective.title, **entry)
    for item in _ordered(consultation.items):
        entry = {"entry_kind": "item", "entry_id": item.id}
        add(f"item {item.code}", "label", item.label, **entry)
        add(f"item {item.code}", "description", item.description, **entry)
    for group in _ordered(consultation.stakeholder_groups):
        entry = {"entry_kind": "group", "entry_id": group.id}
        add(f"stakeholder group {group.code}", "name", group.name, **entry)
    for round_ in sorted(consultation.rounds, key=lambda r: r.number):
        where = f"round {round_.number}"
        add(where, "title", round_.title)
        for s in _ordered(round_.sections):
            s_where = f"{where} / section {s.code}"
            add(s_where, "title", s.title, section_id=s.id)
            add(s_where, "description", s.description, section_id=s.id)
            for q in _ordered(s.questions):
                q_where = f"{where} / question {q.code}"
                add(q_where, "text", q.text, question_id=q.id)
                add(q_where, "help", q.help, question_id=q.id)
                for o in _ordered(q.options):
                    add(f"{q_where} / option {o.code}", "label", o.label, question_id=q.id)
    return rows


def preview_survey(
    session: Session, actor: User | None, consultation: Consultation, language: str
) -> Survey:
    """The editable round as participants would see it in ``language`` (else the default)."""
    require(actor, Action.EDIT, consultation)
    round_ = _round_or_none(consultation)
    if round_ is None:
        raise NotFound("this consultation has no questionnaire to preview")
    if language not in consultation.languages:
        language = consultation.default_language
    session.flush()
    return build_survey(session, round_, language)


# --- sections ------------------------------------------------------------------------------------


def add_section(
    session: Session, actor: User | None, consultation: Consultation, data: SectionInput
) -> Section:
    """Add a section at the end of the editable round (created if there is none)."""
    round_ = _editable_round(session, actor, consultation, create=True)
    _check_section(consultation, round_, data, None)
    section = Section(
        round=round_,
        code=data.code,
        position=_next_position(round_.sections),
        title=clean_texts(data.title, consultation, "title"),
        description=clean_texts(data.description, consultation, "description"),
        display_condition=data.display_condition or None,
    )
    session.add(section)
    session.flush()
    _check_order(round_)
    record(session, actor, "section.add", section, consultation=consultation, code=data.code)
    return section


def update_section(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    section_id: int,
    data: SectionInput,
    *,
    expected: str | None = None,
) -> Section:
    """Change a section's code, texts and display condition.

    ``expected`` is the fingerprint of the section the form was built from (``Conflict`` when
    someone else saved it since).
    """
    round_ = _editable_round(session, actor, consultation)
    section = _section(session, consultation, section_id, lock=True)
    _check_in_round(section, round_, "section")
    check_unchanged(_section_as_input(section), expected, "this section")
    _check_section(consultation, round_, data, section)
    if data.code != section.code and round_.state == RoundState.OPEN:
        raise InvalidState("the code of a section cannot change while the consultation is open")
    section.code = data.code
    section.title = clean_texts(data.title, consultation, "title")
    section.description = clean_texts(data.description, consultation, "description")
    section.display_condition = data.display_condition or None
    session.flush()
    _check_order(round_)
    record(session, actor, "section.edit", section, consultation=consultation, code=data.code)
    return section


def delete_section(
    session: Session, actor: User | None, consultation: Consultation, section_id: int
) -> None:
    """Delete a section and its questions (refused when one of them has answers)."""
    round_ = _editable_round(session, actor, consultation)
    section = _section(session, consultation, section_id)
    _check_in_round(section, round_, "section")
    counts = _answer_counts(session, round_)
    answered = [q.code for q in section.questions if counts.get(q.id)]
    if answered:
        raise InvalidState(
            f"section {section.code!r} has questions with answers ({', '.join(answered)}): "
            "it cannot be deleted"
        )
    record(session, actor, "section.delete", section, consultation=consultation, code=section.code)
    _drop_feedback(round_, {q.code for q in section.questions})
    for q in list(section.questions):
        session.delete(q)
    session.delete(section)
    session.flush()
    session.expire(round_)
    _check_order(round_)
    _renumber(_ordered(round_.sections))


def move_section(
    session: Session, actor: User | None, consultation: Consultation, section_id: int, step: int
) -> None:
    """Move a section one place up (``step`` -1) or down (+1)."""
    round_ = _editable_round(session, actor, consultation)
    section = _section(session, consultation, section_id)
    _check_in_round(section, round_, "section")
    _move(_ordered(round_.sections), section, step)
    session.flush()
    _check_order(round_)
    record(session, actor, "section.move", section, consultation=consultation, step=step)


# --- questions -----------------------------------------------------------------------------------


def add_question(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    section_id: int,
    data: QuestionInput,
) -> Question:
    """Add a question at the end of section ``section_id``."""
    round_ = _editable_round(session, actor, consultation)
    section = _section(session, consultation, section_id)
    values = _check_question(session, consultation, round_, data, None)
    question = Question(
        round=round_,
        section=section,
        code=data.code,
        type=data.type,
        position=_next_position(section.questions),
        **values,
    )
    session.add(question)
    _set_options(question, data.options, consultation)
    _set_items(question, data.item_codes, consultation)
    session.flush()
    session.expire(section, ["questions"])
    session.expire(round_, ["questions"])
    _check_order(round_)
    record(
        session,
        actor,
        "question.add",
        question,
        consultation=consultation,
        code=data.code,
        type=data.type,
    )
    return question


def update_question(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    question_id: int,
    data: QuestionInput,
    *,
    expected: str | None = None,
) -> Question:
    """Change a question; once it has answers, its type, options and items are kept.

    ``expected`` is the fingerprint of the question the form was built from (``Conflict`` when
    someone else saved it since).
    """
    round_ = _editable_round(session, actor, consultation)
    question = _question(session, consultation, question_id, lock=True)
    _check_in_round(question, round_, "question")
    check_unchanged(_question_as_input(question), expected, "this question")
    values = _check_question(session, consultation, round_, data, question)
    removed_options = {o.code for o in question.options} - {o.code for o in data.options}
    removed_items = {qi.item.code for qi in question.question_items} - set(data.item_codes)
    lifecycle.check_question_change(
        session,
        question,
        new_type=data.type,
        removed_option_codes=removed_options,
        removed_item_codes=removed_items,
    )
    if data.code != question.code and _answer_counts(session, round_).get(question.id):
        raise InvalidState(
            f"question {question.code!r} already has answers: its code cannot change"
        )
    if data.code != question.code and _asked_in_previous_round(session, round_, question.code):
        raise InvalidState(
            f"question {question.code!r} links this round to the previous one (the panel's "
            "earlier answers, stability between rounds): its code cannot change"
        )
    before = question.type
    _rename_feedback(round_, question.code, data.code, data.type)
    question.code = data.code
    question.type = data.type
    for name, value in values.items():
        setattr(question, name, value)
    _set_options(question, data.options, consultation)
    _set_items(question, data.item_codes, consultation)
    session.flush()
    _check_order(round_)
    record(
        session,
        actor,
        "question.edit",
        question,
        consultation=consultation,
        code=data.code,
        type=data.type,
        previous_type=before,
    )
    return question


def delete_question(
    session: Session, actor: User | None, consultation: Consultation, question_id: int
) -> None:
    """Delete a question (refused when it has answers or a later condition refers to it)."""
    round_ = _editable_round(session, actor, consultation)
    question = _question(session, consultation, question_id)
    _check_in_round(question, round_, "question")
    if _answer_counts(session, round_).get(question.id):
        raise InvalidState(f"question {question.code!r} already has answers: it cannot be deleted")
    section = question.section
    record(
        session, actor, "question.delete", question, consultation=consultation, code=question.code
    )
    _drop_feedback(round_, {question.code})
    session.delete(question)
    session.flush()
    session.expire(section, ["questions"])
    session.expire(round_, ["questions"])
    _check_order(round_)
    _renumber(_ordered(section.questions))


def move_question(
    session: Session, actor: User | None, consultation: Consultation, question_id: int, step: int
) -> None:
    """Move a question one place up (``step`` -1) or down (+1) within its section."""
    round_ = _editable_round(session, actor, consultation)
    question = _question(session, consultation, question_id)
    _check_in_round(question, round_, "question")
    _move(_ordered(question.section.questions), question, step)
    session.flush()
    _check_order(round_)
    record(session, actor, "question.move", question, consultation=consultation, step=step)


def move_question_to_section(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    question_id: int,
    section_id: int,
) -> None:
    """Move a question to the end of another section of the same round.

    Refused (``InvalidQuestionnaire``) when a display condition would then refer to a later
    question.
    """
    round_ = _editable_round(session, actor, consultation)
    question = _question(session, consultation, question_id)
    _check_in_round(question, round_, "question")
    target = _section(session, consultation, section_id)
    _check_in_round(target, round_, "section")
    source = question.section
    if target is source:
        return
    if target.round_id != question.round_id:
        raise InvalidQuestionnaire("a question moves only between sections of its round", "section")
    question.position = _next_position(target.questions)
    question.section = target
    session.flush()
    session.expire(source, ["questions"])
    session.expire(target, ["questions"])
    _check_order(round_)
    _renumber(_ordered(source.questions))
    session.flush()
    record(
        session,
        actor,
        "question.move",
        question,
        consultation=consultation,
        section=target.code,
    )


# --- validation ----------------------------------------------------------------------------------


def validate_settings(
    type_name: str, settings: Mapping[str, Any], options: int, items: int
) -> dict[str, Any]:
    """``settings`` checked for ``type_name`` with ``options`` options and ``items`` items.

    Returns the settings normalised (ints as int); ``InvalidQuestionnaire`` for the first
    problem, its ``field`` the setting's name.
    """
    known = SETTINGS.get(type_name, {})
    out: dict[str, Any] = {}
    for key, value in settings.items():
        kind = known.get(key)
        if kind is None:
            raise InvalidQuestionnaire(f"a {type_name} question has no setting {key!r}", key)
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidQuestionnaire(f"{key} must be a whole number", key)
        elif kind == "number":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise InvalidQuestionnaire(f"{key} must be a number", key)
        elif kind == "bool":
            if not isinstance(value, bool):
                raise InvalidQuestionnaire(f"{key} must be true or false", key)
        elif value not in PROFILE_FIELDS:
            raise InvalidQuestionnaire(f"{key} must be one of {', '.join(PROFILE_FIELDS)}", key)
        out[key] = value

    def at_least(key: str, low: int, high: int | None = None, what: str = "") -> None:
        if key in out and (out[key] < low or (high is not None and out[key] > high)):
            span = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise InvalidQuestionnaire(f"{key} must be {span}{what}", key)

    if type_name == "multiple_choice":
        at_least("min_select", 0, options, " (the number of options)")
        at_least("max_select", 1, options, " (the number of options)")
        if out.get("min_select", 0) > out.get("max_select", options):
            raise InvalidQuestionnaire("min_select must not exceed max_select", "min_select")
    elif type_name in SCALE_TYPES:
        if options == 0:
            low, high = out.get("scale_min", 1), out.get("scale_max", 5)
            if not 2 <= high - low + 1 <= 11:
                raise InvalidQuestionnaire(
                    f"a scale needs 2 to 11 points; {low} to {high} gives {high - low + 1}",
                    "scale_max",
                )
        elif not 2 <= options <= 11:
            raise InvalidQuestionnaire("a labelled scale needs 2 to 11 points", "options")
    elif type_name == "ranking":
        at_least("top_k", 1, items, " (the number of items)")
    elif type_name in ("pairwise", "ahp"):
        at_least("pairs", 1, items * (items - 1) // 2, " (the number of pairs of items)")
    elif type_name == "best_worst":
        at_least("set_size", 3, min(5, items), " (and no more than the number of items)")
        at_least("tasks", 1, 100)
    elif type_name == "points":
        at_least("budget", 1, 1_000_000)
    elif type_name == "number":
        if "min" in out and "max" in out and out["min"] > out["max"]:
            raise InvalidQuestionnaire("min must not exceed max", "min")
    elif type_name in ("short_text", "long_text"):
        at_least("max_length", 1, MAX_TEXT)
    return out


MIN_ITEMS = {"matrix": 1, "ranking": 2, "pairwise": 2, "best_worst": 3, "ahp": 2, "points": 1}


def _check_question(
    session: Session,
    consultation: Consultation,
    round_: Round,
    data: QuestionInput,
    question: Question | None,
) -> dict[str, Any]:
    """The checked column values of ``data`` (``InvalidQuestionnaire`` otherwise)."""
    check_code(data.code)
    taken = {q.code for q in round_.questions if q is not question}
    if data.code in taken:
        raise InvalidQuestionnaire(f"another question already has the code {data.code!r}", "code")
    if data.type not in type_names():
        raise InvalidQuestionnaire(
            f"unknown question type {data.type!r} (known: {', '.join(type_names())})", "type"
        )
    text = clean_texts(data.text, consultation, "text")
    if not any(v.strip() for v in text.values()):
        raise InvalidQuestionnaire("write the question's text in at least one language", "text")
    help_ = clean_texts(data.help, consultation, "help")
    if data.options and data.type not in OPTION_TYPES | SCALE_TYPES:
        raise InvalidQuestionnaire(f"a {data.type} question has no options", "options")
    if data.type in OPTION_TYPES and len(data.options) < 2:
        raise InvalidQuestionnaire("give at least two options", "options")
    codes: set[str] = set()
    for o in data.options:
        check_code(o.code, "options")
        if o.code in codes:
            raise InvalidQuestionnaire(f"two options have the code {o.code!r}", "options")
        codes.add(o.code)
        if o.value is not None and not math.isfinite(o.value):
            raise InvalidQuestionnaire(f"option {o.code!r} has no valid value", "options")
        clean_texts(o.label, consultation, "options")
    if data.type in SCALE_TYPES and data.options:
        valued = [o for o in data.options if o.value is not None]
        if any(o.value is None and o.code != "dont_know" for o in data.options):
            raise InvalidQuestionnaire(
                "every scale point needs a value (only 'dont_know' may have none)", "options"
            )
        options_count = len(valued)
    else:
        options_count = len(data.options)
    item_codes = list(data.item_codes)
    if len(set(item_codes)) != len(item_codes):
        raise InvalidQuestionnaire("an item is chosen twice", "items")
    known_items = {i.code for i in consultation.items}
    unknown = [c for c in item_codes if c not in known_items]
    if unknown:
        raise InvalidQuestionnaire(f"no item has the code {unknown[0]!r}", "items")
    if data.type in ITEM_TYPES:
        need = MIN_ITEMS[data.type]
        if len(item_codes) < need:
            raise InvalidQuestionnaire(
                f"a {data.type} question needs at least {need} items", "items"
            )
    elif data.type == "rating":
        if len(item_codes) > 1:
            raise InvalidQuestionnaire("a rating question rates at most one item", "items")
    elif item_codes:
        raise InvalidQuestionnaire(f"a {data.type} question asks about no items", "items")
    settings = validate_settings(data.type, data.settings, options_count, len(item_codes))
    if data.display_condition:
        _check_condition_shape(data.display_condition)
    return {
        "text": text,
        "help": help_,
        "required": bool(data.required),
        "settings": settings,
        "display_condition": dict(data.display_condition) if data.display_condition else None,
    }


def _check_section(
    consultation: Consultation, round_: Round, data: SectionInput, section: Section | None
) -> None:
    check_code(data.code)
    if data.code in {s.code for s in round_.sections if s is not section}:
        raise InvalidQuestionnaire(f"another section already has the code {data.code!r}", "code")
    title = clean_texts(data.title, consultation, "title")
    if not any(v.strip() for v in title.values()):
        raise InvalidQuestionnaire("write the section's title in at least one language", "title")
    clean_texts(data.description, consultation, "description")
    if data.display_condition:
        _check_condition_shape(data.display_condition)


def _check_condition_shape(condition: Mapping[str, Any]) -> None:
    """A condition names a question and exactly one test (``gte`` and ``lte`` may pair)."""
    where = "condition"
    if not isinstance(condition.get("question"), str) or not condition["question"]:
        raise InvalidQuestionnaire("choose the question the condition refers to", where)
    tests = set(condition) - {"question"}
    if (
        not tests
        or not tests <= set(CONDITION_TESTS)
        or (len(tests) > 1 and tests != {"gte", "lte"})
    ):
        raise InvalidQuestionnaire(
            "a condition tests one of: equals, in, answered, or gte and/or lte", where
        )
    if "equals" in condition and not isinstance(condition["equals"], str | int | float):
        raise InvalidQuestionnaire("equals needs one value", where)
    if "in" in condition and (not isinstance(condition["in"], list) or not condition["in"]):
        raise InvalidQuestionnaire("in needs a list of values", where)
    if "answered" in condition and not isinstance(condition["answered"], bool):
        raise InvalidQuestionnaire("answered must be true or false", where)
    for key in ("gte", "lte"):
        value = condition.get(key)
        if key in condition and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidQuestionnaire(f"{key} needs a number", where)


def _check_order(round_: Round) -> None:
    """Every display condition refers to an earlier question (no forward reference)."""
    seen: set[str] = set()
    all_codes = {q.code for q in round_.questions}
    for s in _ordered(round_.sections):
        _check_reference(s.display_condition, seen, all_codes, f"section {s.code!r}")
        for q in _ordered(s.questions):
            _check_reference(q.display_condition, seen, all_codes, f"question {q.code!r}")
            seen.add(q.code)


def _check_reference(
    condition: Mapping[str, Any] | None, seen: set[str], all_codes: set[str], owner: str
) -> None:
    if not condition:
        return
    code = condition.get("question")
    if code in seen:
        return
    if code in all_codes:
        raise InvalidQuestionnaire(
            f"the display condition of {owner} refers to question {code!r}, which does not come "
            "before it: a condition may only refer to an earlier question",
            "condition",
        )
    raise InvalidQuestionnaire(
        f"the display condition of {owner} refers to question {code!r}, which does not exist",
        "condition",
    )


def check_code(code: str, field: str = "code") -> None:
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise InvalidQuestionnaire(f"the code {code!r} is not valid: {CODE_HINT}", field)


def clean_texts(
    texts: Mapping[str, str] | None, consultation: Consultation, field: str
) -> dict[str, str]:
    """Texts keyed by the consultation's languages, blank ones dropped."""
    out: dict[str, str] = {}
    for lang, text in (texts or {}).items():
        if lang not in consultation.languages:
            raise InvalidQuestionnaire(
                f"{lang!r} is not one of the consultation's languages", field
            )
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise InvalidQuestionnaire(f"the text must be at most {MAX_TEXT} characters", field)
        if text.strip():
            out[lang] = text.strip()
    return out


# --- helpers -------------------------------------------------------------------------------------


def _is_editable(consultation: Consultation) -> bool:
    return consultation.state in (ConsultationState.DRAFT, ConsultationState.OPEN)


def _round_or_none(consultation: Consultation) -> Round | None:
    """The round the builder works on: the newest draft round, else the open round, else (to
    show, not to change) the newest round."""
    rounds = sorted(consultation.rounds, key=lambda r: r.number)
    drafts = [r for r in rounds if r.state == RoundState.DRAFT]
    if drafts:
        return drafts[-1]
    open_rounds = [r for r in rounds if r.state == RoundState.OPEN]
    if open_rounds:
        return open_rounds[-1]
    return rounds[-1] if rounds else None


def _round_is_editable(consultation: Consultation, round_: Round) -> bool:
    """Whether the builder may change ``round_``.

    Never in an archived consultation. A draft round: while the consultation is draft or open,
    and in a closed one when it is a prepared Delphi round N+1 (it has a previous round). An open
    round: while the consultation is draft or open. A closed round never.
    """
    if consultation.state == ConsultationState.ARCHIVED:
        return False
    if round_.state == RoundState.DRAFT:
        return _is_editable(consultation) or round_.previous_round_id is not None
    return round_.state == RoundState.OPEN and _is_editable(consultation)


def _editable_round(
    session: Session, actor: User | None, consultation: Consultation, create: bool = False
) -> Round:
    require(actor, Action.EDIT, consultation)
    if consultation.state == ConsultationState.ARCHIVED:
        raise InvalidState("the consultation is archived: its questionnaire cannot change")
    round_ = _round_or_none(consultation)
    if round_ is None and create and _is_editable(consultation):
        round_ = Round(consultation=consultation, number=1, state=RoundState.DRAFT)
        session.add(round_)
        session.flush()
        return round_
    if round_ is None or not _round_is_editable(consultation, round_):
        if not _is_editable(consultation):
            raise InvalidState(
                f"the consultation is {consultation.state.value} and has no draft round: "
                "its questionnaire cannot change"
            )
        raise InvalidState("there is no draft or open round whose questionnaire can change")
    return round_


def _asked_in_previous_round(session: Session, round_: Round, code: str) -> bool:
    """Whether the round this one was prepared from (Delphi) has a question ``code``."""
    if round_.previous_round_id is None:
        return False
    found = session.scalar(
        select(Question.id).where(
            Question.round_id == round_.previous_round_id, Question.code == code
        )
    )
    return found is not None


def _check_in_round(row: Section | Question, round_: Round, what: str) -> None:
    """``NotFound`` unless ``row`` belongs to the round being edited (not an earlier one)."""
    if row.round_id != round_.id:
        raise NotFound(f"no such {what} in round {round_.number}, the round being edited")


def _feedback_list(round_: Round) -> list[str]:
    codes = (round_.feedback or {}).get("questions") or []
    return [c for c in codes if isinstance(c, str)]


def _set_feedback_list(round_: Round, codes: list[str]) -> None:
    # a new dict, so that SQLAlchemy sees the JSON column change
    round_.feedback = {**(round_.feedback or {}), "questions": codes}


def _drop_feedback(round_: Round, codes: set[str]) -> None:
    """Remove deleted questions' codes from the round's Delphi feedback list."""
    current = _feedback_list(round_)
    if any(c in codes for c in current):
        _set_feedback_list(round_, [c for c in current if c not in codes])


def _rename_feedback(round_: Round, old: str, new: str, new_type: str) -> None:
    """Keep the feedback list in step with a question's new code (and drop the code when the
    question becomes a type that cannot show feedback: only rating and matrix can)."""
    current = _feedback_list(round_)
    if old not in current:
        return
    if new_type not in FEEDBACK_TYPES:
        _set_feedback_list(round_, [c for c in current if c != old])
    elif new != old:
        _set_feedback_list(round_, [new if c == old else c for c in current])


def _section(
    session: Session, consultation: Consultation, section_id: int, *, lock: bool = False
) -> Section:
    section = _get(session, Section, section_id, lock)
    if section is None or section.round.consultation_id != consultation.id:
        raise NotFound("no such section in this consultation")
    return section


def _question(
    session: Session, consultation: Consultation, question_id: int, *, lock: bool = False
) -> Question:
    question = _get(session, Question, question_id, lock)
    if question is None or question.round.consultation_id != consultation.id:
        raise NotFound("no such question in this consultation")
    return question


def _get(session: Session, model: type[Any], row_id: int, lock: bool) -> Any:
    """The row ``row_id``; ``lock`` re-reads it under a row lock (PostgreSQL ``FOR UPDATE``)."""
    row = session.get(model, row_id)
    if row is not None and lock:  # also expires its collections, read again when used
        session.refresh(row, with_for_update=True)
    return row


def _answer_counts(session: Session, round_: Round) -> dict[int, int]:
    rows = session.execute(
        select(Answer.question_id, func.count(func.distinct(Answer.response_id)))
        .where(Answer.question_id.in_(select(Question.id).where(Question.round_id == round_.id)))
        .group_by(Answer.question_id)
    ).all()
    return {int(q): int(c) for q, c in rows}


def _ordered(rows: Sequence[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: (r.position, r.id or 0))


def _questions_in_order(round_: Round) -> list[Question]:
    return [q for s in _ordered(round_.sections) for q in _ordered(s.questions)]


def _next_position(rows: Sequence[Any]) -> int:
    return max((r.position for r in rows), default=-1) + 1


def _renumber(rows: list[Any]) -> None:
    for i, row in enumerate(rows):
        row.position = i


def _move(rows: list[Any], row: Any, step: int) -> None:
    if step not in (-1, 1):
        raise InvalidQuestionnaire("move one place up or down", "step")
    i = rows.index(row)
    j = i + step
    if 0 <= j < len(rows):
        rows[i], rows[j] = rows[j], rows[i]
    _renumber(rows)


def _set_options(
    question: Question, options: list[OptionInput], consultation: Consultation
) -> None:
    """Make the question's options match ``options``, keeping the rows of kept codes."""
    existing = {o.code: o for o in question.options}
    wanted = []
    for position, o in enumerate(options):
        row = existing.get(o.code) or Option(code=o.code)
        row.position = position
        row.value = o.value
        row.label = clean_texts(o.label, consultation, "options")
        wanted.append(row)
    question.options = wanted


def _set_items(question: Question, codes: list[str], consultation: Consultation) -> None:
    """Make the question's items match ``codes`` (items of the consultation), in that order."""
    items = {i.code: i for i in consultation.items}
    existing = {qi.item.code: qi for qi in question.question_items}
    wanted = []
    for position, code in enumerate(codes):
        row = existing.get(code) or QuestionItem(item=items[code])
        row.position = position
        wanted.append(row)
    question.question_items = wanted


__all__ = [
    "InvalidQuestionnaire",
    "OptionInput",
    "Overview",
    "QuestionInput",
    "SectionInput",
    "TranslationRow",
    "add_question",
    "add_section",
    "delete_question",
    "delete_section",
    "earlier_question_codes",
    "item_choices",
    "move_question",
    "move_question_to_section",
    "move_section",
    "overview",
    "preview_survey",
    "question_input",
    "section_input",
    "translation_table",
    "update_question",
    "update_section",
    "validate_settings",
]
