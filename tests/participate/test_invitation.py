"""Personal invitations (/i/<token>): landing and consent, the profile the invitation already
states, resuming from another browser, sending once, anonymity."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from consult.extensions import db
from consult.models import (
    AnonymityMode,
    Invitation,
    InvitationStatus,
    Participation,
    Response,
    ResponseState,
)
from tests.participate.helpers import (
    current_values,
    error_links,
    fill,
    location,
    receipt_of,
    walk_to_review,
)

pytestmark = pytest.mark.db


def rows(session, model):
    session.expire_all()
    return session.scalars(select(model)).all()


def test_landing_records_nothing_until_consent(client, demo, invite, session) -> None:
    token = invite(demo, group="self_organization", district="fatih")
    page = client.get(f"/i/{token}/?lang=en")

    assert page.status_code == 200
    assert "This is your personal invitation" in page.text
    assert f'action="/i/{token}/"' in page.text
    assert rows(session, Response) == []
    assert rows(session, Invitation)[0].status == InvitationStatus.PENDING

    refused = client.post(f"/i/{token}/?lang=en", data={})
    assert error_links(refused.text) == ["#consent"]
    assert rows(session, Response) == []


def test_prefilled_profile_is_not_asked_again(client, demo, invite, session) -> None:
    token = invite(demo, group="self_organization", district="fatih")
    first = location(client.post(f"/i/{token}/", data={"consent": "y"}))

    # the profile page is skipped: both of its questions are answered by the invitation
    assert first == f"/i/{token}/page/2"
    html = client.get(first + "?lang=en").text
    assert "Step 1 of 4" in html
    assert "Save this link" not in html  # the invitation link itself is the way back
    assert client.get(f"/i/{token}/page/1").headers["Location"] == f"/i/{token}/page/2"
    (response,) = rows(session, Response)
    assert response.stakeholder_group_id is not None
    assert response.district == "fatih"
    assert rows(session, Invitation)[0].status == InvitationStatus.OPENED

    review = walk_to_review(client, first)
    text = client.get(review + "?lang=en").text
    assert text.count("From your invitation") == 2
    assert "Self-organization (refugee- or migrant-led)" in text
    assert "Fatih" in text
    assert "Step 4 of 4" in text


def test_partly_prefilled_profile_asks_the_rest(client, demo, invite) -> None:
    token = invite(demo, group="academic")
    first = location(client.post(f"/i/{token}/", data={"consent": "y"}))
    assert first == f"/i/{token}/page/1"
    html = client.get(first).text
    assert 'name="q-district"' in html
    assert 'name="q-stakeholder_group"' not in html


def test_resume_from_another_browser(client, app, demo, invite) -> None:
    token = invite(demo, group="academic", district="esenler")
    first = location(client.post(f"/i/{token}/", data={"consent": "y"}))
    data = {"q-challenge_severity-hate_speech": "5", "action": "back"}
    client.post(first, data=data)  # saved without finishing the page

    other = app.test_client()
    # nothing completed yet: the other browser sees the landing page (consent) first
    assert other.get(f"/i/{token}/page/2").headers["Location"] == f"/i/{token}/"
    first_again = location(other.post(f"/i/{token}/", data={"consent": "y"}))
    assert first_again == first
    assert current_values(other.get(first).text) == {"q-challenge_severity-hate_speech": ["5"]}

    # once a page is complete, the link goes straight back to where they stopped
    html = other.get(first).text
    location(other.post(first, data={**fill(html), "action": "continue"}))
    third = app.test_client()
    assert third.get(f"/i/{token}/").headers["Location"] == f"/i/{token}/page/3"


def test_sent_once_and_the_receipt_stays_in_this_browser(client, app, demo, invite, session):
    token = invite(demo, group="academic", district="esenler")
    first = location(client.post(f"/i/{token}/", data={"consent": "y"}))
    review = walk_to_review(client, first)

    assert location(client.post(review)) == f"/i/{token}/done"
    receipt = receipt_of(client.get(f"/i/{token}/done").text)
    for _ in range(2):  # a double click or a re-POST
        assert location(client.post(review)) == f"/i/{token}/done"
    assert receipt_of(client.get(f"/i/{token}/done").text) == receipt
    assert location(client.get(f"/i/{token}/")) == f"/i/{token}/done"

    submitted = [r for r in rows(session, Response) if r.state == ResponseState.SUBMITTED]
    assert len(submitted) == 1
    assert len(rows(session, Participation)) == 1
    assert rows(session, Invitation)[0].status == InvitationStatus.SUBMITTED
    assert app.test_client().get(f"/i/{token}/done").status_code == 409


def test_a_submission_committed_between_the_lookups_is_a_conflict(
    client, app, demo, invite, session
):
    """Another browser's submission lands between this request's two lookups (its in-progress
    response, the invitation's participation): the request finds the invitation used (409)
    rather than beginning a second response. The other submission is written on the request's
    own connection just before its second lookup, which on PostgreSQL sees what a commit from
    another session would show at that moment."""
    token = invite(demo, group="academic", district="esenler")
    first = location(client.post(f"/i/{token}/", data={"consent": "y"}))
    review = walk_to_review(client, first)
    (response,) = rows(session, Response)
    invitation_id, round_id, response_id = response.invitation_id, response.round_id, response.id
    session.rollback()
    lookups: list[str] = []

    def submit_elsewhere(conn, cursor, statement, parameters, context, executemany) -> None:
        lookup = (
            "participation"
            if "FROM participations" in statement and "participations.invitation_id" in statement
            else "response"
            if "FROM responses" in statement and "responses.invitation_id =" in statement
            else None
        )
        if lookup is None or lookups == [lookup]:
            return
        lookups.append(lookup)
        if len(lookups) == 2:
            raw = cursor.connection.cursor()
            raw.execute(
                "UPDATE responses SET state = 'submitted', submitted_at = updated_at "
                f"WHERE id = {response_id}"
            )
            raw.execute(
                "INSERT INTO participations (id, invitation_id, round_id, submitted_on) "
                f"VALUES (987654321, {invitation_id}, {round_id}, '2026-11-27')"
            )

    event.listen(db.engine, "before_cursor_execute", submit_elsewhere)
    try:
        answer = client.get(review + "?lang=en")
    finally:
        event.remove(db.engine, "before_cursor_execute", submit_elsewhere)

    assert len(lookups) == 2
    assert answer.status_code == 409, answer.status_code
    assert "This invitation has already been used" in answer.text
    assert [r.id for r in rows(session, Response)] == [response_id]


def test_anonymous_response_is_not_linked_to_its_invitation(
    client, demo, invite, consultation, session
) -> None:
    row = consultation(demo)
    row.anonymity = AnonymityMode.ANONYMOUS
    session.commit()
    token = invite(demo, group="academic", district="esenler")
    landing = client.get(f"/i/{token}/?lang=en").text
    assert "Your answers are anonymous" in landing

    first = location(client.post(f"/i/{token}/", data={"consent": "y"}))
    client.post(walk_to_review(client, first))

    (response,) = rows(session, Response)
    assert response.state == ResponseState.SUBMITTED
    assert response.invitation_id is None
    assert (response.submitted_at.hour, response.submitted_at.minute) == (0, 0)
    (participation,) = rows(session, Participation)
    assert participation.round_id == response.round_id
    # the thank-you page still shows the receipt in the browser that sent it
    assert receipt_of(client.get(f"/i/{token}/done").text) == response.receipt_code
