"""Every question type through the web pages, on the ``question-types`` demo consultation:
rendered without JavaScript, every error linked to a control that exists, typed values kept,
answers stored and described on the review page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.models import Answer, Question
from consult.questions import type_names
from tests.participate.helpers import (
    current_values,
    error_links,
    fill,
    location,
    parse,
    start_open_link,
    token_of,
)

pytestmark = pytest.mark.db


def first_page(client, slug: str) -> tuple[str, str]:
    url = start_open_link(client, slug)
    return url, token_of(url)


def test_every_type_renders_and_links_its_errors(client, question_types) -> None:
    url, token = first_page(client, question_types)
    seen: set[str] = set()
    required = 0
    while "/page/" in url:
        html = client.get(url + "?lang=en").text
        ids = parse(html).ids
        for code in type_names():
            if f'id="question-{code}"' in html:
                seen.add(code)
        assert "<script>" not in html
        # Continue with nothing answered: every required question's error links to a control
        empty = client.post(url, data={"action": "continue"})
        if empty.status_code == 200:
            links = error_links(empty.text)
            assert links
            assert all(link[1:] in ids for link in links), links
            required += len(links)
        url = location(client.post(url, data={**fill(html), "action": "continue"}))
    assert seen == set(type_names())
    assert required >= 5
    review = client.get(url + "?lang=en").text
    assert review.count(">Change<") == len(type_names())
    assert "Not answered" not in review
    assert location(client.post(url)) == f"/r/{token}/done"


def test_every_type_stores_its_answers(client, session, question_types) -> None:
    url, _token = first_page(client, question_types)
    while "/page/" in url:
        html = client.get(url).text
        url = location(client.post(url, data={**fill(html), "action": "continue"}))
    client.post(url)
    session.expire_all()
    stored = dict(
        session.execute(
            select(Question.code, func.count(Answer.id))
            .join(Answer, Answer.question_id == Question.id)
            .group_by(Question.code)
        ).all()
    )
    assert set(stored) == set(type_names())


BROKEN = {
    "multiple_choice": (
        [("q-multiple_choice", "*first4")],
        "Choose at most 3 options.",
    ),
    "rating": ([("q-rating", "6")], "Choose a point on the scale."),
    "ranking": ([("q-ranking-*0", "1"), ("q-ranking-*1", "1")], "Rank 1 is given to more"),
    "pairwise": ([("q-pairwise-t0", "zzz")], "Choose one of the two items."),
    "best_worst": ([("q-best_worst-t0-worst", "*best0")], "must differ"),
    "ahp": ([("q-ahp-t0", "a10")], "Choose how much more important one item is."),
    "points": ([("q-points-*0", "50")], "The points must add up to 100; they add up to 50."),
    "number": ([("q-number", "100001")], "Enter a number from 0 to 100,000."),
    "short_text": ([("q-short_text", "x" * 151)], "Shorten your answer to 150 characters"),
}


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_invalid_answers_are_explained_and_typed_values_kept(client, question_types, code):
    url, _token = first_page(client, question_types)
    # find the page of the question
    for _ in range(6):
        html = client.get(url + "?lang=en").text
        if f'id="question-{code}"' in html:
            break
        url = location(client.post(url, data={**fill(html), "action": "continue"}))
    data = fill(html)
    controls = [c for c in parse(html).controls if c.name.startswith(f"q-{code}")]
    unshowable = set()  # typed values that no control can show (no such radio)
    for name, value in BROKEN[code][0]:
        if "*" in name:  # the n-th control of the question
            prefix, index = name.split("*")
            names = list(dict.fromkeys(c.name for c in controls if c.name.startswith(prefix)))
            name = names[int(index)]
            if code == "points":
                data.update(dict.fromkeys(names[1:], "0"))
        if value == "*first4":
            value = [c.value for c in controls if c.name == name][:4]
        elif value == "*best0":
            value = data[name.replace("-worst", "-best")]
        elif code in ("rating", "pairwise", "ahp"):
            unshowable.add(name)
        data[name] = value
    response = client.post(url + "?lang=en", data={**data, "action": "continue"})

    assert response.status_code == 200
    assert BROKEN[code][1] in response.text
    ids = parse(response.text).ids
    assert all(link[1:] in ids for link in error_links(response.text))
    shown = current_values(response.text)
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        if name.startswith("q-") and values != [""] and name not in unshowable:
            assert shown.get(name) == values, name


def test_display_condition_is_evaluated_on_the_server(client, question_types) -> None:
    url, token = first_page(client, question_types)
    html = client.get(url).text
    options = [c.value for c in parse(html).controls if c.name == "q-single_choice"]
    assert "yes" in options
    other = next(o for o in options if o != "yes")
    for choice, shown in ((other, False), ("yes", True)):
        page = client.get(f"/r/{token}/page/1").text
        data = {**fill(page), "q-single_choice": choice, "action": "continue"}
        client.post(f"/r/{token}/page/1", data=data)
        last = client.get(f"/r/{token}/page/5").text
        assert ('id="question-long_text"' in last) is shown
        review = client.get(f"/r/{token}/review").text
        assert ("question-long_text" in review) is shown
