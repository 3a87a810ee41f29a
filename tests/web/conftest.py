"""Web tests need the compiled catalogs, and a way to add consultations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from consult.models import Consultation, ConsultationState, utcnow
from tests.web.catalogs import require_compiled_catalogs


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


TITLES = {
    "tr": "Göç ve Sosyal Uyum Eylem Planı",
    "en": "Migration and Social Cohesion Action Plan",
    "ar": "خطة عمل الهجرة والتماسك الاجتماعي",
}


@pytest.fixture
def add_consultation(session: Any) -> Callable[..., Consultation]:
    """Insert and commit a consultation (open, closing in 30 days, three languages by default)."""

    def add(slug: str, **fields: Any) -> Consultation:
        values: dict[str, Any] = {
            "slug": slug,
            "state": ConsultationState.OPEN,
            "languages": ["tr", "en", "ar"],
            "default_language": "tr",
            "title": {code: f"{text} ({slug})" for code, text in TITLES.items()},
            "description": {
                "tr": "Eylemlerin önceliklerini birlikte belirleyelim.",
                "en": "Let us set the priorities of the actions together.",
                "ar": "لنحدد أولويات الإجراءات معًا.",
            },
            "organiser": {
                "tr": "İstanbul Büyükşehir Belediyesi",
                "en": "Istanbul Metropolitan Municipality",
                "ar": "بلدية إسطنبول الكبرى",
            },
            "closes_at": utcnow() + timedelta(days=30),
        }
        values.update(fields)
        consultation = Consultation(**values)
        session.add(consultation)
        session.commit()
        return consultation

    return add
