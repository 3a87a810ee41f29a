"""The JSON documents of the API: consultations as plain data (see ``openapi.py`` for the schemas).

Texts participants read are given in every language, as stored: ``{"tr": ..., "en": ...}``.
Times are ISO 8601 in UTC. Nothing here writes; every value is a str, int, float, bool, None,
list or dict, with non-finite floats turned into None (JSON has no NaN).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
from flask import url_for

import analysis
from consult.models import Consultation, Question
from consult.questions import get_type


def plain(value: Any) -> Any:
    """``value`` with numpy scalars unwrapped, tuples as lists and NaN/infinity as None."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return timestamp(value)
    return value


def timestamp(value: datetime | None) -> str | None:
    """An ISO 8601 UTC time, or None."""
    return None if value is None else value.isoformat()


def _texts(value: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def consultation_summary(c: Consultation) -> dict[str, Any]:
    """One consultation in the list."""
    return {
        "slug": c.slug,
        "title": _texts(c.title),
        "state": c.state.value,
        "languages": list(c.languages),
        "default_language": c.default_language,
        "anonymity": c.anonymity.value,
        "min_group_size": int(c.min_group_size),
        "is_demo": bool(c.is_demo),
        "opens_at": timestamp(c.opens_at),
        "closes_at": timestamp(c.closes_at),
        "created_at": timestamp(c.created_at),
        "updated_at": timestamp(c.updated_at),
        "links": {
            "self": url_for("api.consultation", slug=c.slug),
            "results": url_for("api.results", slug=c.slug),
        },
    }


def _question(q: Question, round_number: int, section: str) -> dict[str, Any]:
    kind = get_type(q.type).analysis_kind
    return {
        "code": q.code,
        "round": round_number,
        "section": section,
        "type": q.type,
        "required": bool(q.required),
        "text": _texts(q.text),
        "help": _texts(q.help),
        "settings": plain(dict(q.settings or {})),
        "analysis_kind": kind,
        "methods": list(analysis.methods_for(kind)) if kind is not None else [],
        "options": [
            {"code": o.code, "value": plain(o.value), "label": _texts(o.label)} for o in q.options
        ],
        "items": [qi.item.code for qi in q.question_items],
    }


def consultation_detail(c: Consultation) -> dict[str, Any]:
    """One consultation with its settings, lists and questionnaire."""
    doc = consultation_summary(c)
    doc.update(
        {
            "description": _texts(c.description),
            "organiser": _texts(c.organiser),
            "open_link": bool(c.open_link),
            "objectives": [{"code": o.code, "title": _texts(o.title)} for o in c.objectives],
            "items": [
                {
                    "code": i.code,
                    "kind": i.kind.value,
                    "objective": i.objective.code if i.objective is not None else None,
                    "label": _texts(i.label),
                    "description": _texts(i.description),
                }
                for i in c.items
            ],
            "stakeholder_groups": [
                {"code": g.code, "name": _texts(g.name), "target_share": plain(g.target_share)}
                for g in c.stakeholder_groups
            ],
            "rounds": [
                {
                    "number": r.number,
                    "state": r.state.value,
                    "title": _texts(r.title),
                    "opens_at": timestamp(r.opens_at),
                    "closes_at": timestamp(r.closes_at),
                }
                for r in c.rounds
            ],
            "questions": [
                _question(q, r.number, s.code)
                for r in c.rounds
                for s in r.sections
                for q in s.questions
            ],
        }
    )
    return doc
