"""Participation numbers for facilitators: who was invited, who started, who submitted.

Numbers only, never answers and never anything about one person. Counts are computed with SQL
``GROUP BY``. Definitions, per stakeholder group and per language:

- *invited*: invitations of the consultation that are not revoked (group and language as
  invited; an invitation is valid for every round);
- *started*: responses of the round(s) in progress or submitted (withdrawn ones are counted
  apart), with the group and language the response recorded — open-link responses included;
- *submitted*: submitted responses of the round(s).

The median completion time is over submitted responses (``submitted_at − started_at``). In
anonymous mode response times are stored to the day only, so it is not available.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from consult.models import (
    AnonymityMode,
    Consultation,
    Invitation,
    InvitationStatus,
    Response,
    ResponseState,
    Round,
    User,
)
from consult.services.permissions import Action, require

NOT_IN_ANONYMOUS_MODE = "not available in anonymous mode: response times are stored to the day only"


@dataclass
class Counts:
    """The funnel for one stakeholder group, one language, or everybody."""

    invited: int = 0
    started: int = 0
    submitted: int = 0
    withdrawn: int = 0


@dataclass
class GroupCounts(Counts):
    """Counts of one stakeholder group (``code`` None: no group stated yet)."""

    code: str | None = None
    name: dict[str, str] = field(default_factory=dict)


@dataclass
class LanguageCounts(Counts):
    """Counts of one language."""

    language: str = ""


@dataclass(frozen=True)
class Monitoring:
    """Participation in a consultation, or in one of its rounds (``round_number``)."""

    consultation_id: int
    round_number: int | None
    anonymity: str
    total: Counts
    by_group: list[GroupCounts]
    by_language: list[LanguageCounts]
    median_completion_seconds: float | None
    completion_time_note: str | None
    submitted_per_day: list[tuple[date, int]]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plain data (dates as ISO strings)."""
        return {
            "consultation_id": self.consultation_id,
            "round_number": self.round_number,
            "anonymity": self.anonymity,
            "total": vars(self.total),
            "by_group": [vars(g) for g in self.by_group],
            "by_language": [vars(c) for c in self.by_language],
            "median_completion_seconds": self.median_completion_seconds,
            "completion_time_note": self.completion_time_note,
            "submitted_per_day": [(d.isoformat(), n) for d, n in self.submitted_per_day],
        }


def monitor(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    round_: Round | None = None,
) -> Monitoring:
    """Participation numbers of ``consultation`` (only ``round_`` when given).

    Raises ``Forbidden`` unless ``actor`` may view the consultation.
    """
    require(actor, Action.VIEW, consultation)
    responses = _responses_in(consultation, round_)
    groups = sorted(consultation.stakeholder_groups, key=lambda g: (g.position, g.id))
    by_group: dict[int | None, GroupCounts] = {
        g.id: GroupCounts(code=g.code, name=dict(g.name or {})) for g in groups
    }
    by_language: dict[str, LanguageCounts] = {
        lang: LanguageCounts(language=lang) for lang in consultation.languages
    }
    total = Counts()

    def group(key: int | None) -> Counts:
        return by_group.setdefault(key, GroupCounts())

    def language(key: str) -> Counts:
        return by_language.setdefault(key, LanguageCounts(language=key))

    invited = (Invitation.consultation_id == consultation.id) & (
        Invitation.status != InvitationStatus.REVOKED
    )
    for key, n in _grouped(session, Invitation.id, invited, Invitation.stakeholder_group_id):
        _add(group(key), "invited", n)
    for key, n in _grouped(session, Invitation.id, invited, Invitation.language):
        _add(language(key), "invited", n)
        _add(total, "invited", n)
    by_state = (Response.state,)
    for key, state, n in _grouped(
        session, Response.id, responses, Response.stakeholder_group_id, *by_state
    ):
        _add_state(group(key), state, n)
    for key, state, n in _grouped(session, Response.id, responses, Response.language, *by_state):
        _add_state(language(key), state, n)
        _add_state(total, state, n)

    anonymous = AnonymityMode(consultation.anonymity) == AnonymityMode.ANONYMOUS
    median = None if anonymous else _median_seconds(session, responses)
    return Monitoring(
        consultation_id=consultation.id,
        round_number=round_.number if round_ is not None else None,
        anonymity=AnonymityMode(consultation.anonymity).value,
        total=total,
        by_group=list(by_group.values()),
        by_language=list(by_language.values()),
        median_completion_seconds=median,
        completion_time_note=NOT_IN_ANONYMOUS_MODE if anonymous else None,
        submitted_per_day=_per_day(session, responses),
    )


def _responses_in(consultation: Consultation, round_: Round | None) -> ColumnElement[bool]:
    if round_ is not None:
        return Response.round_id == round_.id
    rounds = select(Round.id).where(Round.consultation_id == consultation.id)
    return Response.round_id.in_(rounds.scalar_subquery())


def _grouped(
    session: Session, counted: Any, where: ColumnElement[bool], *keys: Any
) -> list[tuple[Any, ...]]:
    """``(*keys, count)`` rows: one ``GROUP BY`` query."""
    query = select(*keys, func.count(counted)).where(where).group_by(*keys)
    return [tuple(row) for row in session.execute(query).all()]


def _add(counts: Counts, name: str, n: int) -> None:
    setattr(counts, name, getattr(counts, name) + int(n))


def _add_state(counts: Counts, state: ResponseState | str, n: int) -> None:
    state = ResponseState(state)
    if state == ResponseState.WITHDRAWN:
        _add(counts, "withdrawn", n)
        return
    _add(counts, "started", n)
    if state == ResponseState.SUBMITTED:
        _add(counts, "submitted", n)


def _median_seconds(session: Session, responses: ColumnElement[bool]) -> float | None:
    """The median of ``submitted_at − started_at`` over submitted responses, in seconds."""
    rows = session.execute(
        select(Response.started_at, Response.submitted_at).where(
            responses, Response.state == ResponseState.SUBMITTED
        )
    ).all()
    durations = [(s - b).total_seconds() for b, s in rows if b is not None and s is not None]
    return float(statistics.median(durations)) if durations else None


def _per_day(session: Session, responses: ColumnElement[bool]) -> list[tuple[date, int]]:
    """Submitted responses per UTC day, in day order."""
    day = _utc_day(session, Response.submitted_at)
    rows = session.execute(
        select(day, func.count(Response.id))
        .where(responses, Response.state == ResponseState.SUBMITTED)
        .group_by(day)
        .order_by(day)
    ).all()
    return [(_as_date(d), int(n)) for d, n in rows]


def _utc_day(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column (SQLite stores UTC without a zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
