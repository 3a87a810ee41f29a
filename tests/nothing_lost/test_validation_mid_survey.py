"""A validation error on page 3: the page comes back with everything typed still in it, the
answers of pages 1-2 and the valid answers of page 3 are stored, the invalid one is not, and
correcting it carries on to the end with one submitted response."""

from __future__ import annotations

import pytest

from consult.models import ResponseState
from tests.nothing_lost.conftest import PAGE1, answer_counts, responses
from tests.participate.helpers import (
    csrf_token,
    current_values,
    fill,
    location,
    start_open_link,
    walk_to_review,
)

pytestmark = pytest.mark.db


def first_page(client, demo: str, invite, flow: str) -> str:
    if flow == "open":
        return start_open_link(client, demo)
    token = invite(demo)
    landing = client.get(f"/i/{token}/").text
    return location(
        client.post(f"/i/{token}/", data={"consent": "y", "csrf_token": csrf_token(landing)})
    )


@pytest.mark.parametrize("flow", ["open", "invitation"])
def test_invalid_answer_on_page_3_keeps_everything(
    csrf_client, demo, invite, session, flow
) -> None:
    client = csrf_client
    first = first_page(client, demo, invite, flow)
    base = first.rsplit("/page/", 1)[0]
    html = client.get(first).text
    page2 = location(client.post(first, data={**PAGE1, "csrf_token": csrf_token(html)}))
    html = client.get(page2).text
    page2_answers = fill(html)
    page3 = location(client.post(page2, data={**page2_answers, "csrf_token": csrf_token(html)}))
    assert page3 == f"{base}/page/3"

    html = client.get(page3).text
    typed = fill(html)
    ranks = sorted(k for k in typed if k.startswith("q-top5_actions-") and typed[k])
    typed[ranks[1]] = typed[ranks[0]]  # the same rank twice: invalid
    response = client.post(
        page3 + "?lang=en", data={**typed, "action": "continue", "csrf_token": csrf_token(html)}
    )

    # the page comes back (no redirect), saying what is wrong, with every typed value in it
    assert response.status_code == 200
    assert "Rank 1 is given to more than one item: each rank can be used once." in response.text
    shown = current_values(response.text)
    for name, value in typed.items():
        assert shown.get(name, []) == ([value] if value else []), name

    # stored: pages 1-2 and the valid matrix of page 3; the invalid ranking is not
    counts = answer_counts(session)
    matrix_rows = sum(1 for k in typed if k.startswith("q-action_priority-"))
    assert counts.get("stakeholder_group") == 1
    assert counts.get("district") == 1
    assert counts.get("challenge_severity") == sum(1 for k in page2_answers if k.startswith("q-"))
    assert counts.get("action_priority") == matrix_rows
    assert "top5_actions" not in counts
    assert responses(session) == [(ResponseState.IN_PROGRESS, 2)]

    # the earlier pages show their answers; page 3 shows the stored matrix answers
    assert current_values(client.get(first).text) == {k: [v] for k, v in PAGE1.items()}
    assert current_values(client.get(page3).text) == {
        k: [v] for k, v in typed.items() if k.startswith("q-action_priority-")
    }

    # corrected, it carries on; sending gives one submitted response with everything
    html = response.text
    fixed = {**fill(html), "action": "continue", "csrf_token": csrf_token(html)}
    assert location(client.post(page3, data=fixed)) == f"{base}/page/4"
    review = walk_to_review(client, f"{base}/page/4")
    html = client.get(review).text
    assert location(client.post(review, data={"csrf_token": csrf_token(html)})).endswith("/done")
    assert [state for state, _ in responses(session)] == [ResponseState.SUBMITTED]
    ranked = [k for k, v in fixed.items() if k.startswith("q-top5_actions-") and v]
    assert answer_counts(session)["top5_actions"] == len(ranked) == 5
