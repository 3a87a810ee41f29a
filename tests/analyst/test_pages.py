"""The results page and the action-plan page: forms, numbers, charts with tables, permissions."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import urlencode

import pytest
from flask import Flask

import analysis
from consult.extensions import db
from consult.services import priorities as pr
from tests.facilitator.conftest import FS_TUPLE_CHOICES, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

A = "/manage/consultations/migration-action-plan"
B = "/manage/consultations/question-types"


def get(app: Flask, user, url: str, **params) -> tuple[int, str]:
    client = app.test_client()
    sign_in_as(client, user)
    query = urlencode(params, doseq=True)
    response = fetch(app, client, "GET", f"{url}?{query}" if query else url)
    # long computations go through a background job (run at once in these tests) and back
    for _hop in range(2):
        if response.status_code != 302 or not (
            "/jobs/" in response.location or "job=" in response.location
        ):
            break
        response = fetch(app, client, "GET", response.location)
    return response.status_code, response.get_data(as_text=True)


def test_long_computations_run_as_a_background_job(app, staff):
    """A method that refits a model per replicate: the page comes back with the job's results,
    equal to computing them in the request."""
    from sqlalchemy import select

    from consult.models import Job, JobState

    client = app.test_client()
    sign_in_as(client, staff.analyst)
    query = "question=top5_actions&method=plackett-luce&bootstrap=20&seed=3&lang=en"
    first = fetch(app, client, "GET", f"{A}/results?{query}")
    assert first.status_code == 302
    job = db.session.scalar(select(Job))
    assert (job.kind, job.state) == ("results", JobState.DONE)
    assert first.location.endswith(f"/jobs/{job.public_id}")
    back = fetch(app, client, "GET", first.location)
    assert back.status_code == 302
    assert back.location.endswith(f"/results?{query}&job={job.public_id}")
    page = fetch(app, client, "GET", back.location).get_data(as_text=True)
    expected = pr.question_results(
        db.session,
        staff.a,
        "top5_actions",
        method="plackett-luce",
        bootstrap=20,
        seed=3,
        language="en",
    )
    rows = table_rows(page, "ranking")
    assert [r[1] for r in rows] == [i["label"] for i in expected.items]
    # the same job is not reused for other parameters: they start a job of their own
    other = fetch(
        app, client, "GET", f"{A}/results?{query.replace('seed=3', 'seed=4')}&job={job.public_id}"
    )
    assert other.status_code == 302
    assert len(db.session.scalars(select(Job)).all()) == 2
    # a fast method on the demo stays inside the request
    fast = fetch(app, client, "GET", f"{A}/results?question=top5_actions&bootstrap=100&lang=en")
    assert fast.status_code == 200


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html, flags=re.S)]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    match = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, flags=re.S)
    assert match, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", match.group(1), flags=re.S)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        for row in rows
    ]


def check_page(html: str, n_items: int, heatmap: bool = True) -> None:
    charts = svgs(html)
    assert charts, "no chart"
    for svg in charts:
        assert svg.get("role") == "img"
        assert len(svg.get("aria-labelledby").split()) == 2
    scores = next(s for s in charts if s.get("id") == "chart-scores")
    assert len(list(scores.iter("{http://www.w3.org/2000/svg}circle"))) == n_items
    assert len(table_rows(html, "ranking")) == n_items  # the chart's table
    if heatmap:
        assert any(s.get("id") == "chart-heatmap" for s in charts)
        assert len(table_rows(html, "group-ranks")) == n_items  # the heat map's table


DEMO_CASES = [
    ("challenge_severity", None, 6),
    ("action_priority", "median", 16),
    ("action_priority", "top-box", 16),
    ("top5_actions", None, 16),
    ("top5_actions", "schulze", 16),
    ("top5_actions", "plackett-luce", 16),
]


def test_every_priority_question_of_the_demo(app, staff):
    for question, method, n_items in DEMO_CASES:
        params = {"question": question, "lang": "en", "bootstrap": 100, "seed": 5}
        if method:
            params["method"] = method
        status, html = get(app, staff.analyst, A + "/results", **params)
        assert status == 200, html
        check_page(html, n_items)
        expected = pr.question_results(
            db.session, staff.a, question, method=method, bootstrap=100, seed=5, language="en"
        )
        rows = table_rows(html, "ranking")
        assert [r[1] for r in rows] == [i["label"] for i in expected.items]
        assert [int(r[0]) for r in rows] == [i["rank"] for i in expected.items]
        agreement = table_rows(html, "agreement")
        assert agreement[0][0] == "Everybody"
        assert len(agreement) == 1 + 7  # everybody, then each group (all have >= 5)
        assert 'id="differences"' in html
        assert f'value="{expected.method["name"]}" aria-describedby="method-' in html
        assert expected.method["explanation"] in unescape(html)


def test_every_priority_question_of_the_question_types_demo(app, staff, answered_question_types):
    for q in pr.priority_questions(db.session, answered_question_types, language="en"):
        for method in analysis.methods_for(q.kind):
            status, html = get(
                app, staff.admin, B + "/results", question=q.code, method=method, lang="en"
            )
            assert status == 200, (q.code, method)
            result = pr.question_results(
                db.session, answered_question_types, q.code, method=method, bootstrap=0
            )
            check_page(html, len(result.items), heatmap=True)
            assert "No group stated" in html


def test_numbers_filters_notices_and_links(app, staff):
    status, html = get(
        app,
        staff.analyst,
        A + "/results",
        question="top5_actions",
        method="borda",
        lang="en",
        bootstrap=200,
        seed=3,
        weighting="equal-groups",
    )
    assert status == 200
    expected = pr.question_results(
        db.session,
        staff.a,
        "top5_actions",
        method="borda",
        weighting="equal-groups",
        bootstrap=200,
        seed=3,
        language="en",
    )
    first = table_rows(html, "ranking")[0]
    item = expected.items[0]
    assert first[1] == item["label"]
    assert first[3] == f"{item['score']:,.3f}"
    assert first[4] == f"{item['ci_low']:,.3f} – {item['ci_high']:,.3f}"
    assert first[6] == f"{round(item['p_top_k'] * 100)}%"
    assert "Equal voice per stakeholder group" in html
    assert re.search(r'id="n-respondents">123 of 123<', html)
    status, html = get(
        app,
        staff.analyst,
        A + "/results",
        question="top5_actions",
        lang="en",
        bootstrap=0,
        group=["national_ngo", "academic"],
    )
    assert status == 200
    assert re.search(r'id="n-respondents">45 of 123<', html)
    assert 'value="national_ngo" checked' in html
    assert [r[0] for r in table_rows(html, "counts-by_group")] == ["National NGO", "Academic"]


def test_small_groups_are_hidden_and_said_so(app, staff):
    staff.a.min_group_size = 13
    db.session.commit()
    status, html = get(app, staff.analyst, A + "/results", question="top5_actions", lang="en")
    assert status == 200
    heatmap = next(s for s in svgs(html) if s.get("id") == "chart-heatmap")
    heads = " ".join(heatmap.itertext())
    assert "Academic" in heads
    assert "donor" not in heads.lower()
    assert "International donor institution" in html  # named as hidden
    assert 'id="small-groups"' in html
    assert "fewer than 13" in html
    header = re.search(r'id="group-ranks".*?</thead>', html, flags=re.S).group(0)
    assert "Public institution" not in header
    counts = dict(map(tuple, table_rows(html, "counts-by_group")))
    assert counts["International donor institution"] == "fewer than 13"
    assert counts["National NGO"] == "28"
    # a filter down to a small group is refused with a notice
    status, html = get(
        app, staff.analyst, A + "/results", question="top5_actions", lang="en", group="donor"
    )
    assert status == 200
    assert "Fewer than 13 respondents match these filters" in html
    assert 'id="ranking"' not in html
    # the action plan's participation overview hides them too
    status, html = get(app, staff.analyst, A + "/action-plan", lang="en")
    assert status == 200
    rows = {r[0]: r[1:] for r in table_rows(html, "participation")}
    assert rows["International donor institution"] == ["fewer than 13 submitted: not shown"]
    assert rows["Public institution"] == ["fewer than 13 submitted: not shown"]
    assert rows["National NGO"] == ["0", "28", "28"]
    assert 'id="small-groups"' in html


BAD_RESULTS_PARAMETERS = [
    ({"bootstrap": "abc"}, "bootstrap"),
    ({"bootstrap": str(pr.MAX_BOOTSTRAP + 1)}, "bootstrap"),
    ({"seed": "-1"}, "seed"),
    ({"top_k": "0"}, "top_k"),
    ({"group": "nope"}, "group"),
    ({"source": "telepathy"}, "source"),
    ({"question": "comments"}, "question"),
    ({"weighting": "post-stratified"}, "weighting"),
    ({"round": "x"}, "round"),
]
BAD_PLAN_PARAMETERS = [
    ({"top_n": "0"}, "top_n"),
    ({"top_n": "many"}, "top_n"),
    ({"question": "comments"}, "question"),
    ({"weighting": "nope"}, "weighting"),
]


def test_bad_parameters_give_the_form_with_a_message(app, staff):
    for path, cases, form_id in [
        ("/results", BAD_RESULTS_PARAMETERS, "results-form"),
        ("/action-plan", BAD_PLAN_PARAMETERS, "action-plan-form"),
    ]:
        for params, field in cases:
            status, html = get(app, staff.analyst, A + path, lang="en", **params)
            assert status == 400, (path, params)
            assert 'class="error-summary"' in html
            assert f'<a href="#{field}">' in html, (path, params)
            assert f'id="{form_id}"' in html
            assert 'id="ranking"' not in html
            assert 'id="priorities-heading"' not in html
    status, html = get(
        app, staff.analyst, A + "/results", question="top5_actions", method="mean", lang="en"
    )
    assert status == 200
    assert "does not apply to this question" in unescape(html)
    assert 'value="borda" aria-describedby="method-1-hint" checked' in html
    status, html = get(app, staff.admin, B + "/results", question="ranking", lang="en")
    assert status == 200
    assert "Nobody has answered this question yet" in html
    assert "<svg" not in html


def test_right_to_left(app, staff):
    status, html = get(app, staff.analyst, A + "/results", question="top5_actions", lang="ar")
    assert status == 200
    assert '<html lang="ar" dir="rtl">' in html
    for svg in svgs(html):
        assert svg.get("direction") == "ltr"
        labels = [
            g.find("{http://www.w3.org/2000/svg}text")
            for g in svg.iter("{http://www.w3.org/2000/svg}g")
            if g.get("class") == "chart__row"
        ]
        assert labels
        assert {t.get("text-anchor") for t in labels} == {"start"}  # mirrored
        assert all("".join(t.itertext()).startswith("\u202b") for t in labels)
    expected = pr.question_results(db.session, staff.a, "top5_actions", language="ar")
    assert [r[1] for r in table_rows(html, "ranking")] == [i["label"] for i in expected.items]


def test_who_may_see_the_pages(app, staff):
    expected = {
        "analyst": 200,
        "facilitator": 200,
        "admin": 200,
        "outside_analyst": 403,
        "other_facilitator": 403,
    }
    for path in ("/results", "/action-plan"):
        for role, status in expected.items():
            assert get(app, getattr(staff, role), A + path)[0] == status, (path, role)
        client = app.test_client()
        response = fetch(app, client, "GET", A + path)
        assert response.status_code == 302
        assert response.location.startswith("/account/login")
        # an analyst of A does not see B
        assert get(app, staff.analyst, B + path)[0] == 403
    status, html = get(app, staff.analyst, A, lang="en")
    assert status == 200
    assert f'href="{A}/results">Results<' in html
    assert f'href="{A}/action-plan">Action plan<' in html


def test_action_plan_page(app, staff):
    status, html = get(app, staff.analyst, A + "/action-plan", lang="en", top_n=2)
    assert status == 200
    plan = pr.action_plan(db.session, staff.a, actor=staff.analyst, language="en", top_n=2)
    for objective in plan.objectives:
        assert f">{objective['title']}</h3>" in html
        for action in objective["actions"]:
            assert action["label"] in unescape(html)
    assert len(re.findall(r'<table class="data-table" aria-labelledby="objective-', html)) == 4
    assert len(table_rows(html, "challenges")) == 6
    chart = next(s for s in svgs(html) if s.get("id") == "chart-severity")
    assert len(list(chart.iter("{http://www.w3.org/2000/svg}circle"))) == 6
    participation = table_rows(html, "participation")
    assert ["National NGO", "0", "28", "28"] in participation
    status, html = get(
        app, staff.analyst, A + "/action-plan", lang="ar", question="top5_actions", method="schulze"
    )
    assert status == 200
    assert 'dir="rtl"' in html
    assert 'value="schulze" aria-describedby="method-3-hint" checked' in html
