"""A consultation's lists: its objectives, its items (actions and challenges) and its
stakeholder groups — the entries questions and invitations refer to.

One small set of functions serves the three kinds (``EntryKind``). The rules: the actor must be
allowed to edit the consultation; a closed or archived consultation does not change
(``InvalidState``); codes are unique per kind and follow the questionnaire's code rule; the
text in the consultation's default language is required (other languages may be filled in
later: the translation view lists what is missing and opening is refused until it is complete);
while the consultation is open no code changes. An entry in use is not deleted: an objective
with items, an item that a question asks about, a stakeholder group with invitations or
responses. Edits are checked against the fingerprint of the entry the form was built from
(``Conflict`` when someone else saved first). Every change is recorded in the audit log.
Functions flush, never commit.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import (
    Consultation,
    ConsultationState,
    Invitation,
    Item,
    ItemKind,
    Objective,
    QuestionItem,
    Response,
    StakeholderGroup,
    User,
)
from consult.services.audit import record
from consult.services.concurrency import check_unchanged
from consult.services.errors import InvalidState, NotFound
from consult.services.permissions import Action, require
from consult.services.questionnaire import InvalidQuestionnaire, check_code, clean_texts


class EntryKind(enum.StrEnum):
    """The three lists of a consultation."""

    OBJECTIVE = "objective"
    ITEM = "item"
    GROUP = "group"


Entry = Objective | Item | StakeholderGroup
MODELS: dict[EntryKind, type[Any]] = {
    EntryKind.OBJECTIVE: Objective,
    EntryKind.ITEM: Item,
    EntryKind.GROUP: StakeholderGroup,
}
#: The translated texts of each kind; the first one is required in the default language.
TEXT_FIELDS: dict[EntryKind, tuple[str, ...]] = {
    EntryKind.OBJECTIVE: ("title",),
    EntryKind.ITEM: ("label", "description"),
    EntryKind.GROUP: ("name",),
}


@dataclass
class EntryInput:
    """An entry as a form edits it; ``texts`` maps a text field to ``{language: text}``."""

    code: str
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    item_kind: str = ItemKind.ACTION.value  # items only
    objective: str = ""  # items only: the objective's code, "" for none
    target_share: float | None = None  # groups only: the population share for weighting


@dataclass(frozen=True)
class EntryRow:
    """One entry as the lists page shows it; ``uses`` counts what refers to it."""

    id: int
    kind: str
    code: str
    texts: dict[str, dict[str, str]]
    item_kind: str
    objective: str
    target_share: float | None
    uses: int


@dataclass(frozen=True)
class Lists:
    """The three lists in order; ``editable`` is False once closed or archived."""

    editable: bool
    objectives: tuple[EntryRow, ...]
    items: tuple[EntryRow, ...]
    groups: tuple[EntryRow, ...]


def lists(session: Session, actor: User | None, consultation: Consultation) -> Lists:
    """Objectives, items and stakeholder groups of ``consultation`` with their use counts."""
    require(actor, Action.EDIT, consultation)
    return Lists(
        editable=_editable(consultation),
        objectives=tuple(_row(session, e) for e in _ordered(consultation.objectives)),
        items=tuple(_row(session, e) for e in _ordered(consultation.items)),
        groups=tuple(_row(session, e) for e in _ordered(consultation.stakeholder_groups)),
    )


def entry_input(
    session: Session, actor: User | None, consultation: Consultation, kind: EntryKind, entry_id: int
) -> EntryInput:
    """The entry as form input (``NotFound`` unless it belongs to ``consultation``)."""
    require(actor, Action.EDIT, consultation)
    return _input(_entry(session, consultation, kind, entry_id))


def add_entry(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    kind: EntryKind,
    data: EntryInput,
) -> Entry:
    """Add an entry at the end of its list."""
    _check_editable(actor, consultation)
    entry = MODELS[kind](code=data.code)
    entry.position = max((e.position for e in _siblings(consultation, kind)), default=-1) + 1
    _apply(session, consultation, kind, entry, data, creating=True)
    entry.consultation = consultation  # only now: a refused entry never joins the session
    session.add(entry)
    session.flush()
    record(session, actor, f"{kind.value}.add", entry, consultation=consultation, code=entry.code)
    return entry


def update_entry(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    kind: EntryKind,
    entry_id: int,
    data: EntryInput,
    *,
    expected: str | None = None,
) -> Entry:
    """Change an entry; ``expected`` is the fingerprint of the entry the form was built from."""
    _check_editable(actor, consultation)
    entry = _entry(session, consultation, kind, entry_id, lock=True)
    check_unchanged(_input(entry), expected, f"this {kind.value}")
    if data.code != entry.code and consultation.state == ConsultationState.OPEN:
        raise InvalidState("codes cannot change while the consultation is open")
    _apply(session, consultation, kind, entry, data, creating=False)
    session.flush()
    record(session, actor, f"{kind.value}.edit", entry, consultation=consultation, code=entry.code)
    return entry


def delete_entry(
    session: Session, actor: User | None, consultation: Consultation, kind: EntryKind, entry_id: int
) -> None:
    """Delete an entry that nothing refers to."""
    _check_editable(actor, consultation)
    entry = _entry(session, consultation, kind, entry_id)
    uses = _uses(session, entry)
    if uses:
        raise InvalidState(_in_use_message(kind, entry.code, uses))
    record(
        session, actor, f"{kind.value}.delete", entry, consultation=consultation, code=entry.code
    )
    session.delete(entry)
    session.flush()
    session.expire(consultation)
    for i, sibling in enumerate(_ordered(_siblings(consultation, kind))):
        sibling.position = i
    session.flush()


# --- rules ---------------------------------------------------------------------------------------


def _apply(
    session: Session,
    consultation: Consultation,
    kind: EntryKind,
    entry: Any,
    data: EntryInput,
    *,
    creating: bool,
) -> None:
    """Check ``data`` and copy it onto ``entry``."""
    check_code(data.code)
    if data.code != entry.code or creating:
        taken = {e.code for e in _siblings(consultation, kind) if e is not entry}
        if data.code in taken:
            raise InvalidQuestionnaire(f"another {kind.value} already has the code {data.code!r}")
    texts = {
        name: clean_texts(data.texts.get(name), consultation, name) for name in TEXT_FIELDS[kind]
    }
    required = TEXT_FIELDS[kind][0]
    if not texts[required].get(consultation.default_language):
        raise InvalidQuestionnaire(
            f"the {required} in the default language ({consultation.default_language}) is required",
            f"{required}_{consultation.default_language}",
        )
    entry.code = data.code
    for name, value in texts.items():
        setattr(entry, name, value)
    if kind == EntryKind.ITEM:
        if data.item_kind not in {k.value for k in ItemKind}:
            raise InvalidQuestionnaire(f"unknown item kind {data.item_kind!r}", "item_kind")
        entry.kind = ItemKind(data.item_kind)
        entry.objective = None
        if data.objective:
            objectives = {o.code: o for o in consultation.objectives}
            if data.objective not in objectives:
                raise InvalidQuestionnaire(
                    f"no objective has the code {data.objective!r}", "objective"
                )
            entry.objective = objectives[data.objective]
    elif kind == EntryKind.GROUP:
        share = data.target_share
        if share is not None and not (math.isfinite(share) and 0 <= share <= 1):
            raise InvalidQuestionnaire("the target share must be between 0 and 1", "target_share")
        entry.target_share = share


def _uses(session: Session, entry: Any) -> int:
    """How many things refer to ``entry`` (items of an objective, questions, invitations...)."""
    if isinstance(entry, Objective):
        return len(entry.items)
    if isinstance(entry, Item):
        return int(
            session.scalar(
                select(func.count(func.distinct(QuestionItem.question_id))).where(
                    QuestionItem.item_id == entry.id
                )
            )
            or 0
        )
    invitations = session.scalar(
        select(func.count()).where(Invitation.stakeholder_group_id == entry.id)
    )
    responses = session.scalar(
        select(func.count()).where(Response.stakeholder_group_id == entry.id)
    )
    return int(invitations or 0) + int(responses or 0)


def _in_use_message(kind: EntryKind, code: str, uses: int) -> str:
    if kind == EntryKind.OBJECTIVE:
        return f"objective {code!r} has {uses} item(s): move or delete them first"
    if kind == EntryKind.ITEM:
        return f"item {code!r} is asked about in {uses} question(s): remove it from them first"
    return f"stakeholder group {code!r} has {uses} invitation(s) or response(s): it is kept"


def _check_editable(actor: User | None, consultation: Consultation) -> None:
    require(actor, Action.EDIT, consultation)
    if not _editable(consultation):
        raise InvalidState(
            f"the consultation is {consultation.state.value}: its lists cannot change"
        )


def _editable(consultation: Consultation) -> bool:
    return consultation.state in (ConsultationState.DRAFT, ConsultationState.OPEN)


# --- reading helpers -----------------------------------------------------------------------------


def _siblings(consultation: Consultation, kind: EntryKind) -> list[Any]:
    if kind == EntryKind.OBJECTIVE:
        return list(consultation.objectives)
    if kind == EntryKind.ITEM:
        return list(consultation.items)
    return list(consultation.stakeholder_groups)


def _ordered(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: (r.position, r.id or 0))


def _entry(
    session: Session,
    consultation: Consultation,
    kind: EntryKind,
    entry_id: int,
    *,
    lock: bool = False,
) -> Any:
    model = MODELS[kind]
    query = select(model).where(model.id == entry_id, model.consultation_id == consultation.id)
    entry = session.scalar(query)
    if entry is None:
        raise NotFound(f"no such {kind.value} in this consultation")
    if lock:  # serialise concurrent edits of one entry (PostgreSQL; SQLite writes one at a time)
        session.refresh(entry, with_for_update=True)
    return entry


def _kind(entry: Any) -> EntryKind:
    return next(k for k, model in MODELS.items() if isinstance(entry, model))


def _input(entry: Any) -> EntryInput:
    kind = _kind(entry)
    return EntryInput(
        code=entry.code,
        texts={name: dict(getattr(entry, name) or {}) for name in TEXT_FIELDS[kind]},
        item_kind=entry.kind.value if kind == EntryKind.ITEM else ItemKind.ACTION.value,
        objective=entry.objective.code if kind == EntryKind.ITEM and entry.objective else "",
        target_share=entry.target_share if kind == EntryKind.GROUP else None,
    )


def _row(session: Session, entry: Any) -> EntryRow:
    data = _input(entry)
    return EntryRow(
        id=entry.id,
        kind=_kind(entry).value,
        code=data.code,
        texts=data.texts,
        item_kind=data.item_kind,
        objective=data.objective,
        target_share=data.target_share,
        uses=_uses(session, entry),
    )


__all__ = [
    "EntryInput",
    "EntryKind",
    "EntryRow",
    "Lists",
    "add_entry",
    "delete_entry",
    "entry_input",
    "lists",
    "update_entry",
]
