"""Reading and changing consultations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consult.models import Consultation, ConsultationState


@dataclass(frozen=True)
class ConsultationSummary:
    """Plain data for listing a consultation (texts keyed by language)."""

    slug: str
    title: dict[str, str]
    description: dict[str, str]
    organiser: dict[str, str]
    languages: list[str]
    default_language: str
    open_link: bool
    closes_at: datetime | None
    is_demo: bool


def list_open_consultations(session: Session, now: datetime) -> list[ConsultationSummary]:
    """Consultations that are open and within their schedule at ``now``, newest first."""
    rows = session.scalars(
        select(Consultation)
        .where(
            Consultation.state == ConsultationState.OPEN,
            or_(Consultation.opens_at.is_(None), Consultation.opens_at <= now),
            or_(Consultation.closes_at.is_(None), Consultation.closes_at > now),
        )
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    )
    return [
        ConsultationSummary(
            slug=c.slug,
            title=dict(c.title),
            description=dict(c.description or {}),
            organiser=dict(c.organiser or {}),
            languages=list(c.languages),
            default_language=c.default_language,
            open_link=c.open_link,
            closes_at=c.closes_at,
            is_demo=c.is_demo,
        )
        for c in rows
    ]


def localized(texts: dict[str, str], language: str, fallback: str) -> str:
    """The text in ``language``, else in ``fallback``, else any non-blank text, else ''."""
    for code in (language, fallback):
        value = (texts or {}).get(code, "")
        if value.strip():
            return value
    return next((v for v in (texts or {}).values() if v.strip()), "")
