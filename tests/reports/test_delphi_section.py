"""The report's "Delphi rounds" section: a two-round Delphi (the advisory board of the Delphi
tests) rendered in English and Arabic and read back with pypdf shows the section (TOC entry and
bookmark included), every item and the very medians and IQRs of ``delphi.delphi_summary``; a
consultation with a single round has no such section."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from babel.numbers import format_decimal, format_percent
from flask import Flask
from flask_babel import force_locale
from pypdf import PdfReader

from consult.extensions import db
from consult.models import Membership, MembershipRole, User, utcnow
from consult.reports.pdf import report_pdf
from consult.security import user_datastore
from consult.services import delphi
from consult.services.users import create_user
from tests.delphi.conftest import (  # noqa: F401  (fixtures)
    ITEMS,
    OVERALL_1,
    PASSWORD,
    Board,
    answer,
    answered,
    board,
)

pytestmark = pytest.mark.db

TITLE = {"en": "Delphi rounds", "ar": "جولات دلفي"}
# Round 2: everybody rates "board" 4 (consensus), "data" stays low and split
ROUND_2 = [
    {"board": "4", "data": "3", "grants": "5"},
    {"board": "4", "data": "3", "grants": "5"},
    {"board": "4", "data": "2", "grants": "4"},
    {"board": "4", "data": "3", "grants": "4"},
    {"board": "4", "data": "2", "grants": "4"},
    {"board": "4", "data": "2", "grants": "5"},
]


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def outline_titles(reader: PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                titles.append(entry.title)

    walk(reader.outline)
    return titles


def render(panel: Board, language: str) -> tuple[dict[str, Any], PdfReader, str]:
    consultation = panel.consultation()
    pdf, report = report_pdf(db.session, consultation, language=language)
    reader = PdfReader(io.BytesIO(pdf))
    return report, reader, "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def facilitator(app: Flask, board: Board) -> User:  # noqa: F811
    user = create_user(db.session, user_datastore, "fac@example.org", "facilitator", PASSWORD)
    db.session.add(
        Membership(user=user, consultation=board.consultation(), role=MembershipRole.FACILITATOR)
    )
    db.session.commit()
    return user


@pytest.fixture
def two_rounds(answered: Board, facilitator: User) -> Board:  # noqa: F811
    consultation = answered.consultation()
    delphi.create_next_round(db.session, facilitator, consultation, ["priority", "overall"])
    delphi.open_next_round(db.session, facilitator, consultation, utcnow())
    db.session.commit()
    for i, values in enumerate(ROUND_2):
        answer(answered, i, values, "4" if i == 5 else OVERALL_1[i])
    return answered


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_two_round_delphi_gets_the_summarys_figures(two_rounds: Board, language: str) -> None:
    report, reader, text = render(two_rounds, language)
    with force_locale(language):
        summary = delphi.delphi_summary(
            db.session, two_rounds.consultation(), language=language
        ).as_dict()
    assert report["delphi"]["summary"] == summary
    flat = compact(text)

    # the section, its table of contents entry and its bookmark
    assert compact(TITLE[language]) in flat
    toc = compact(reader.pages[1].extract_text())
    assert compact(TITLE[language]) in toc
    assert TITLE[language] in outline_titles(reader)
    assert [entry["id"] for entry in report["toc"]].count("delphi") == 1

    # every item, and each round's row: round, answers, median, IQR as the summary has them
    priority = next(q for q in summary["questions"] if q["code"] == "priority")
    assert [i["label"] for i in priority["items"]] == [ITEMS[c][language] for c in ITEMS]
    for item in priority["items"]:
        assert compact(item["label"]) in flat
        for entry in item["rounds"]:
            row = " ".join(
                format_decimal(v, format="#,##0.###", locale=language)
                for v in (entry["round"], entry["n"], entry["median"], entry["iqr"])
            )
            assert compact(row) in flat, (item["code"], row)

    # the figures of one item, checked by hand against the summary
    board_item = priority["items"][0]
    r1, r2 = board_item["rounds"]
    assert (r1["median"], r1["iqr"], r1["consensus"]) == (4, 1, False)
    assert (r2["median"], r2["iqr"], r2["consensus"], r2["direction"]) == (4, 0, True, "agree")
    assert board_item["first_consensus_round"] == 2
    rows = report["delphi"]["questions"][0]["items"][0]["rows"]
    assert [(r["median"], r["iqr"]) for r in rows] == [("4", "1"), ("4", "0")]
    assert rows[0]["stable"] == "–"
    step = board_item["transitions"][0]
    assert rows[1]["changed"] == format_percent(step["share_changed"], locale=language)
    assert rows[1]["p"] == format_decimal(step["wilcoxon_p"], format="0.000", locale=language)

    # the recommendation (data is neither in consensus nor stable: continue)
    assert summary["recommendation"]["decision"] == "continue"
    unsettled = [u["label"] for u in summary["recommendation"]["unsettled"]]
    assert unsettled
    recommendation = report["delphi"]["recommendation"]["text"]
    for label in unsettled:
        assert label in recommendation
    # (pypdf reads mixed Arabic and numbers of a paragraph in visual order: compare the lead)
    lead = recommendation.split(".")[0]
    assert (
        lead
        == {"en": "Recommendation: run another round", "ar": "التوصية: إجراء جولة أخرى"}[language]
    )
    assert compact(lead) in flat
    if language == "en":
        assert "Recommendation: run another round." in recommendation
        assert compact("An item reaches consensus in a round when the IQR is at most 1") in flat


def test_a_single_round_has_no_delphi_section(answered: Board) -> None:  # noqa: F811
    report, reader, text = render(answered, "en")
    assert report["delphi"] is None
    assert "delphi" not in [entry["id"] for entry in report["toc"]]
    assert "Delphi" not in text
    assert "Delphi rounds" not in outline_titles(reader)
    assert "Median" not in text
