"""Validation: an error summary first (announced, focused, linking to each control), messages
next to the questions, and every typed value shown again."""

from __future__ import annotations

import re

import pytest

from tests.participate.helpers import (
    current_values,
    error_links,
    location,
    parse,
    start_open_link,
    token_of,
)

pytestmark = pytest.mark.db


def page3(client, demo) -> str:
    first = start_open_link(client, demo)
    client.post(first, data={"q-stakeholder_group": "academic", "q-district": "fatih"})
    return f"/r/{token_of(first)}/page/3"


def test_error_summary_is_first_announced_focused_and_links_to_controls(client, demo) -> None:
    url = page3(client, demo)
    response = client.post(url + "?lang=en", data={"action": "continue"})

    assert response.status_code == 200
    html = response.text
    main = html.split('<main id="main"', 1)[1]
    summary = re.search(r'<div class="error-summary"[^>]*>', main).group(0)
    assert main.index("error-summary") < main.index("<form")  # at the top, before the form
    assert 'role="alert"' in summary
    assert 'tabindex="-1"' in summary
    assert "autofocus" in summary  # focused on load (survey.js focuses it too)
    assert "There is a problem</h2>" in html
    assert html.count("<title>Error: Priorities") == 1
    links = error_links(html)
    assert links == ["#q-action_priority-advisory_board-1", "#q-top5_actions-advisory_board"]
    ids = parse(html).ids
    assert all(link[1:] in ids for link in links)
    # messages next to the questions, tied to them for screen readers
    assert 'id="q-top5_actions-error"' in html
    assert re.search(
        r'<fieldset class="fieldset" aria-describedby="[^"]*q-top5_actions-error', html
    )
    assert "Answer every row, starting with “A standing migration advisory board" in html
    assert "Rank 5 items." in html


def test_error_heading_is_translated(client, demo) -> None:
    url = page3(client, demo)
    html = client.post(url + "?lang=ar", data={"action": "continue"}).text
    assert "هناك مشكلة</h2>" in html
    assert "<title>خطأ: الأولويات" in html
    html = client.post(url + "?lang=tr", data={"action": "continue"}).text
    assert "Bir sorun var</h2>" in html


def test_every_typed_value_is_kept(client, demo) -> None:
    url = page3(client, demo)
    data = {
        "q-action_priority-advisory_board": "5",
        "q-action_priority-interpretation": "dont_know",
        "q-action_priority-staff_training": "not-a-point",  # invalid
        "q-top5_actions-advisory_board": "2",
        "q-top5_actions-interpretation": "2",  # duplicate rank
        "q-top5_actions-staff_training": "3",
        "action": "continue",
    }
    response = client.post(url + "?lang=en", data=data)

    assert response.status_code == 200
    shown = current_values(response.text)
    for name, value in data.items():
        if name.startswith("q-") and value != "not-a-point":
            assert shown[name] == [value], name
    assert "Rank 2 is given to more than one item: each rank can be used once." in response.text
    assert "Choose a point on the scale for “Train municipal staff" in response.text
    select = 'id="q-top5_actions-advisory_board" name="q-top5_actions-advisory_board"'
    assert f'{select} aria-invalid="true"' in response.text


def test_ranking_gap_and_out_of_range(client, demo) -> None:
    url = page3(client, demo)
    gap = client.post(
        url + "?lang=en",
        data={"q-top5_actions-advisory_board": "1", "q-top5_actions-interpretation": "3"},
    )
    assert "Ranks must follow on from 1 without gaps: rank 2 is missing." in gap.text
    too_far = client.post(url + "?lang=en", data={"q-top5_actions-advisory_board": "6"})
    assert "Choose a rank from 1 to 5 for “A standing migration advisory board" in too_far.text


def test_overlong_text_is_kept_with_a_message(client, demo) -> None:
    first = start_open_link(client, demo)
    url = f"/r/{token_of(first)}/page/4"
    text = "ص" * 2001
    response = client.post(url + "?lang=en", data={"q-comments": text, "action": "continue"})

    assert response.status_code == 200
    assert "Shorten your answer to 2000 characters; it has 2001." in response.text
    assert current_values(response.text)["q-comments"] == [text]
    assert 'maxlength="2000"' in response.text


def test_optional_question_can_be_left_empty(client, demo) -> None:
    first = start_open_link(client, demo)
    url = f"/r/{token_of(first)}/page/4"
    html = client.get(url + "?lang=en").text
    assert '<span class="question__optional">(optional)</span>' in html
    assert location(client.post(url, data={"q-comments": "  ", "action": "continue"})).endswith(
        "/review"
    )
