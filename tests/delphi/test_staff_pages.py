"""The facilitator's and analyst's Delphi pages: prepare and open round N+1, the summary."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from consult.extensions import db
from consult.models import RoundState
from tests.delphi.conftest import Board, StaffUsers, answer
from tests.facilitator.conftest import fetch, sign_in_as

pytestmark = pytest.mark.db

BASE = "/manage/consultations/advisory-board"


@pytest.fixture
def as_facilitator(app: Flask, staff: StaffUsers):
    client = app.test_client()
    sign_in_as(client, staff.facilitator)
    return lambda method, url, **kw: fetch(app, client, method, url, **kw)


@pytest.fixture
def as_analyst(app: Flask, staff: StaffUsers):
    client = app.test_client()
    sign_in_as(client, staff.analyst)
    return lambda method, url, **kw: fetch(app, client, method, url, **kw)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_prepare_and_open_round_two(as_facilitator, answered: Board) -> None:
    page = as_facilitator("GET", f"{BASE}/rounds/next?lang=en")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Prepare round 2</h1>" in html
    assert 'id="feedback-priority" name="feedback" value="priority" checked' in html
    assert 'id="feedback-overall" name="feedback" value="overall" checked' in html
    assert 'value="comments"' not in html  # a text question cannot show results
    version = answered.consultation().version
    assert f'name="version" value="{version}"' in html

    created = as_facilitator(
        "POST", f"{BASE}/rounds/next", data={"feedback": ["priority"], "version": str(version)}
    )
    assert created.status_code == 302
    assert created.location == f"{BASE}/delphi"
    second = answered.round(2)
    assert second.state == RoundState.DRAFT
    assert second.feedback == {"questions": ["priority"]}

    summary = as_facilitator("GET", f"{BASE}/delphi?lang=en").text
    assert "Round 2 is prepared. Open it when you are ready: opening it closes round 1." in summary
    assert "Open round 2" in summary
    assert "Opening round 2 closes round 1." in summary
    # another round cannot be prepared while round 2 waits
    blocked = as_facilitator("GET", f"{BASE}/rounds/next?lang=en").text
    assert "Round 2 is already prepared and waits to be opened" in blocked
    assert 'name="feedback"' not in blocked

    version = answered.consultation().version
    opened = as_facilitator("POST", f"{BASE}/rounds/open", data={"version": str(version)})
    assert opened.status_code == 302
    assert answered.round(1).state == RoundState.CLOSED
    assert answered.round(2).state == RoundState.OPEN
    summary = as_facilitator("GET", f"{BASE}/delphi?lang=en").text
    assert "Round 2 is open: panelists' personal links now lead to it. Round 1 is closed." in (
        summary.replace("&#39;", "'")
    )
    assert "Prepare round 3" in summary


def test_stale_and_refused_forms(as_facilitator, answered: Board) -> None:
    version = answered.consultation().version
    stale = as_facilitator(
        "POST",
        f"{BASE}/rounds/next?lang=en",
        data={"feedback": ["priority"], "version": str(version - 1)},
    )
    assert stale.status_code == 409
    assert "Someone else changed this consultation" in stale.text
    wrong = as_facilitator(
        "POST", f"{BASE}/rounds/next?lang=en", data={"feedback": ["comments"], "version": version}
    )
    assert wrong.status_code == 422
    assert "Choose among the questions listed." in wrong.text
    assert len(answered.consultation().rounds) == 1

    nothing = as_facilitator("POST", f"{BASE}/rounds/open?lang=en", data={"version": version})
    assert nothing.status_code == 409
    assert "there is no new round to open: create it first" in nothing.text


def test_opening_refused_lists_missing_translations(as_facilitator, answered: Board) -> None:
    version = answered.consultation().version
    as_facilitator("POST", f"{BASE}/rounds/next", data={"feedback": [], "version": version})
    question = next(q for q in answered.round(2).questions if q.code == "overall")
    question.text = {"en": "Only in English"}
    db.session.commit()
    refused = as_facilitator(
        "POST", f"{BASE}/rounds/open?lang=en", data={"version": answered.consultation().version}
    )
    assert refused.status_code == 409
    assert "These texts are missing translations:" in refused.text
    assert "round 2 / question overall" in refused.text
    assert answered.round(2).state == RoundState.DRAFT


def test_the_analyst_reads_the_summary_but_prepares_nothing(
    as_analyst, answered: Board, staff: StaffUsers
) -> None:
    html = as_analyst("GET", f"{BASE}/delphi?lang=en").text
    text = text_of(html)
    assert "<h1>Delphi rounds</h1>" in html
    assert "Recommendation: continue with another round" in text
    assert "Based on round 1: 2 of 4 items are in consensus, 0 are stable" in text
    assert 'id="round-actions"' not in html
    assert "Prepare round 2" not in html
    # the consensus table: board in round 1: 5 answers, median 4, IQR 1, 60 % agreeing
    table = re.search(r'<table class="data-table data-table--numbers" id="results-priority">.*?'
                      r"</table>", html, re.S).group(0)  # fmt: skip
    assert "Set up a standing advisory board 1 5 0 4 1 60% 20% no" in text_of(table)
    assert "Small grants for self-organizations 1 4 1 4.5 1 100% 0% yes: important" in text_of(
        table
    )
    assert "von der Gracht" in html
    # the thresholds form shows the defaults in use
    assert 'name="iqr_max" step="any" type="number" value="1"' in html
    assert 'name="agree_share" type="number" value="75"' in html
    assert 'name="agree_points" type="number" value="2"' in html
    assert 'name="stable_share" type="number" value="15"' in html
    assert as_analyst("GET", f"{BASE}/rounds/next").status_code == 403
    assert as_analyst("POST", f"{BASE}/rounds/open", data={"version": 1}).status_code == 403


def test_thresholds_come_from_the_query(as_analyst, answered: Board) -> None:
    # at 50 %, "data" (60 % disagreeing in round 1, IQR 1) is in consensus against the item
    html = as_analyst("GET", f"{BASE}/delphi?lang=en&agree_share=50").text
    table = re.search(r'id="results-priority">.*?</table>', html, re.S).group(0)
    assert "Publish an annual migration data report 1 5 0 2 1 20% 60% yes: not important" in (
        text_of(table)
    )
    assert 'name="agree_share" type="number" value="50"' in html

    refused = as_analyst("GET", f"{BASE}/delphi?lang=en&agree_share=0&iqr_max=abc")
    assert refused.status_code == 200
    text = text_of(refused.text)
    assert "These thresholds cannot be used" in text
    assert 'href="#agree_share"' in refused.text
    assert 'href="#iqr_max"' in refused.text
    assert 'id="results-priority"' not in refused.text


def test_summary_after_two_rounds_in_arabic(
    as_facilitator, answered: Board, staff: StaffUsers
) -> None:
    version = answered.consultation().version
    as_facilitator(
        "POST", f"{BASE}/rounds/next", data={"feedback": ["priority"], "version": version}
    )
    as_facilitator("POST", f"{BASE}/rounds/open", data={"version": answered.consultation().version})
    for i in range(5):
        answer(answered, i, {"board": "4", "data": "2", "grants": "5"}, None, {"board": "ok"})
    html = as_facilitator("GET", f"{BASE}/delphi?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in html
    assert "إنشاء مجلس استشاري دائم" in html
    status = re.search(r'id="status-priority">.*?</table>', html, re.S).group(0)
    # board: 4 5 4 2 3 -> 4 4 4 4 4: three of five changed
    assert "60" in text_of(status)
    assert "delphi-reasons" in html
