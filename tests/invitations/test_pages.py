"""The invitation pages: upload → preview → confirm, the one-time links CSV, revoke, e-mail.

Mail goes through a real SMTP server on 127.0.0.1 (aiosmtpd); personal links are checked by
opening them as a participant would.
"""

from __future__ import annotations

import base64
import csv
import html as html_lib
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from consult.extensions import db
from consult.models import (
    AnonymityMode,
    AuditEvent,
    Consultation,
    ConsultationState,
    Invitation,
    InvitationStatus,
)
from consult.services.invitation_csv import MAX_CSV_BYTES
from tests.conftest import make_test_app
from tests.facilitator import conftest as workspace
from tests.facilitator.conftest import FS_TUPLE_CHOICES, Staff, fetch, sign_in_as
from tests.invitations.conftest import CLEAN, SLUG, SmtpServer, csv_bytes
from tests.invitations.test_csv import BROKEN

# the workspace's fixtures (staff accounts around two consultations), reused here
app = workspace.app
staff = workspace.staff
demo_responses = workspace.demo_responses

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

BASE = f"/manage/consultations/{SLUG}/invitations"
LINK = re.compile(r"http://127\.0\.0\.1:5000/i/([A-Za-z0-9_-]{43})")
EVIL = 'Evil Corp,"=HYPERLINK(""http://x"",""y"")",evil@example.org,donor,en,'
WITH_FORMULA = csv_bytes(
    "Göç Derneği,Ayşe Yılmaz,ayse@example.org,national_ngo,tr,fatih",
    "UNHCR Istanbul,John Smith,john@example.org,International NGO,en,",
    "Sham Community,نور الهدى,nour@example.org,منظمة ذاتية (يقودها لاجئون أو مهاجرون),ar,esenyurt",
    EVIL,
)


def client_for(app: Flask, user) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, user)
    return client


def multipart(**fields: object) -> dict[str, object]:
    """A multipart body encoded in memory (the test client would spool a large one to a
    temporary file it never closes)."""
    boundary, body = encode_multipart(fields)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(app: Flask, client: FlaskClient, data: bytes, name: str = "people.csv", **kw):
    form = multipart(file=FileStorage(io.BytesIO(data), name), **kw)
    return fetch(app, client, "POST", f"{BASE}/upload?lang=en", **form)


def payload_of(response: TestResponse) -> str:
    match = re.search(r'name="payload" value="([^"]+)"', response.text)
    assert match is not None, response.text
    return html_lib.unescape(match.group(1))


def confirm(app: Flask, client: FlaskClient, payload: str, action: str = "create"):
    return fetch(
        app, client, "POST", f"{BASE}/confirm?lang=en", data={"payload": payload, "action": action}
    )


def links_csv(response: TestResponse) -> bytes:
    match = re.search(r'href="data:text/csv;charset=utf-8;base64,([A-Za-z0-9+/=]+)"', response.text)
    assert match is not None, response.text
    return base64.b64decode(match.group(1))


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))


def count(model=Invitation) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(model.id)))


def invitation_events() -> list[str]:
    db.session.rollback()
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    return [a for a in actions if a.startswith("invitation.")]


def create_through_the_pages(app: Flask, client: FlaskClient, data: bytes = CLEAN, **kw):
    preview = upload(app, client, data)
    assert preview.status_code == 200, preview.text
    return confirm(app, client, payload_of(preview), **kw)


def opens(app: Flask, token: str) -> int:
    """The status of a participant opening the personal link (a fresh browser)."""
    return fetch(app, app.test_client(), "GET", f"/i/{token}/?lang=en").status_code


# --- preview and errors ------------------------------------------------------------------------


def test_broken_rows_are_listed_by_line_and_nothing_is_imported(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    response = upload(app, client, BROKEN)
    assert response.status_code == 422
    page = response.text
    assert "3 errors: nothing was imported" in page
    assert "Fix these lines of the file and upload it again: 3, 4, 5." in page
    errors = re.search(r'id="error-list">(.*?)</table>', page, re.S)
    assert errors is not None
    cells = [
        html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td>(.*?)</td>", errors.group(1), re.S)
    ]
    assert cells[0::2] == ["3", "4", "5"]
    assert cells[1].startswith("Unknown stakeholder group “astronaut” (use one of: ")
    assert cells[3].startswith("“demir(at)example.org” is not a valid e-mail address: ")
    assert cells[5] == "AYSE@example.org appears already on line 2."
    notes = html_lib.unescape(re.search(r'id="note-list">(.*?)</table>', page, re.S).group(1))
    assert "<td>7</td><td>The column “contact” starts with “=”: it is kept as text" in notes
    assert "<td>6</td><td>Empty line skipped.</td>" in notes
    # the formula is shown as text, escaped, never as markup or a link
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in page
    assert '<a href="http://x"' not in page
    assert 'name="payload"' not in page
    assert count() == 0
    assert invitation_events() == []


def test_a_clean_list_is_previewed_confirmed_and_its_links_given_once(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    preview = upload(app, client, WITH_FORMULA)
    assert preview.status_code == 200
    assert "4 invitations to create" in preview.text
    assert ">Create 4 invitations</button>" in preview.text
    assert "e-mail their links" not in preview.text  # no SMTP configured
    assert count() == 0  # a preview writes nothing

    created = confirm(app, client, payload_of(preview))
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    assert "<h1>4 invitations created</h1>" in created.text
    assert f'download="{SLUG}-links-' in created.text
    data = links_csv(created)
    rows = csv_rows(data)
    assert [r["email"] for r in rows] == [
        "ayse@example.org",
        "john@example.org",
        "nour@example.org",
        "evil@example.org",
    ]
    assert rows[3]["contact"] == '\'=HYPERLINK("http://x","y")'  # neutralised
    assert rows[2]["contact"] == "نور الهدى"
    assert count() == 4
    db.session.rollback()
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("invitation.%"))
    ).all()
    assert (event.action, event.actor_id, event.details["count"]) == (
        "invitation.create",
        staff.facilitator.id,
        4,
    )
    tokens = [LINK.fullmatch(r["link"]).group(1) for r in rows]
    assert all(opens(app, t) == 200 for t in tokens)

    # the links exist only in that response: not on the list, not by confirming again
    listing = fetch(app, client, "GET", f"{BASE}?lang=en")
    assert listing.status_code == 200
    assert "data:text/csv" not in listing.text
    assert not any(t in listing.text for t in tokens)
    assert "ayse@example.org" in listing.text
    again = confirm(app, client, payload_of(preview))
    assert again.status_code == 409
    assert "data:text/csv" not in again.text
    assert "ayse@example.org is already invited to this consultation." in again.text
    assert count() == 4


def test_a_tampered_confirmation_is_refused(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    payload = payload_of(upload(app, client, CLEAN))
    body, _, signature = payload.rpartition(".")
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:] + "." + signature
    forged = URLSafeTimedSerializer("not-the-secret", salt="consult.invitation-list").dumps(
        {
            "consultation": staff.a.id,
            "user": staff.facilitator.id,
            "rows": 1,
            "csv": csv_bytes(EVIL).decode(),
        }
    )
    for bad in (flipped, forged, "garbage", ""):
        response = confirm(app, client, bad)
        assert response.status_code == 400, bad
        assert "upload the file again" in response.text
    # sealed for another user: an admin cannot replay the facilitator's confirmation
    assert confirm(app, client_for(app, staff.admin), payload).status_code == 400
    assert (
        fetch(
            app, client, "POST", f"{BASE}/confirm", data={"payload": payload, "action": "delete"}
        ).status_code
        == 400
    )
    assert count() == 0
    assert confirm(app, client, payload).status_code == 200  # the genuine one still works
    assert count() == 3


def test_revoking_stops_the_link(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    rows = csv_rows(links_csv(create_through_the_pages(app, client)))
    john = next(r for r in rows if r["email"] == "john@example.org")
    token = LINK.fullmatch(john["link"]).group(1)
    assert opens(app, token) == 200
    invitation_id = db.session.scalar(
        select(Invitation.id).where(Invitation.email == "john@example.org")
    )
    url = f"{BASE}/{invitation_id}/revoke"
    asked = fetch(app, client, "GET", f"{url}?lang=en")
    assert asked.status_code == 200
    assert "Revoke the invitation of John Smith?" in asked.text
    assert count() == 3  # asking changes nothing
    assert opens(app, token) == 200

    done = fetch(app, client, "POST", url)
    assert done.status_code == 302
    assert done.location.endswith(BASE)
    listing = fetch(app, client, "GET", f"{BASE}?lang=en").text
    assert "The invitation of John Smith is revoked: its link no longer works." in listing
    row = re.search(rf'id="invitation-{invitation_id}">(.*?)</tr>', listing, re.S).group(1)
    assert 'data-status="revoked">Revoked<' in row
    assert "/revoke" not in row
    assert '<td data-status="revoked">1</td>' in listing
    assert opens(app, token) == 404
    others = [LINK.fullmatch(r["link"]).group(1) for r in rows if r is not john]
    assert all(opens(app, t) == 200 for t in others)
    again = fetch(app, client, "POST", url)
    assert again.status_code == 302
    assert "revoked already" in fetch(app, client, "GET", f"{BASE}?lang=en").text
    assert invitation_events() == ["invitation.create", "invitation.revoke"]
    # an id of nothing, or of another consultation's invitation, is 404
    assert fetch(app, client, "GET", f"{BASE}/999999/revoke").status_code == 404
    assert fetch(app, client, "POST", f"{BASE}/x1/revoke").status_code == 404


@pytest.fixture
def mail(app: Flask, smtp: SmtpServer) -> SmtpServer:
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER="consult@example.org",
        MAIL_TIMEOUT=5,
    )
    return smtp


def test_sending_and_reminding_through_a_real_smtp_server(app, staff: Staff, mail) -> None:
    mail.handler.refuse.add("john@example.org")
    client = client_for(app, staff.facilitator)
    preview = upload(app, client, CLEAN)
    assert ">Create 3 invitations and e-mail their links</button>" in preview.text
    created = confirm(app, client, payload_of(preview), action="send")
    assert created.status_code == 200
    page = created.text
    assert '<dd data-count="sent">2</dd>' in page
    assert '<dd data-count="bounced">1</dd>' in page
    assert '<dd data-count="failed">0</dd>' in page
    assert "550 5.1.1 &lt;john@example.org&gt;: mailbox unavailable" in page
    links = {r["email"]: LINK.fullmatch(r["link"]).group(1) for r in csv_rows(links_csv(created))}
    assert sorted(r for m in mail.handler.received for r in m.recipients) == [
        "ayse@example.org",
        "nour@example.org",
    ]
    for address in ("ayse@example.org", "nour@example.org"):
        assert LINK.findall(mail.handler.to(address).body()) == [links[address]]
    db.session.rollback()
    status = dict(db.session.execute(select(Invitation.email, Invitation.status)).all())
    assert status == {
        "ayse@example.org": InvitationStatus.SENT,
        "john@example.org": InvitationStatus.BOUNCED,
        "nour@example.org": InvitationStatus.SENT,
    }

    # Ayşe starts answering; reminders go to everyone who has not submitted, with new links
    assert opens(app, links["ayse@example.org"]) == 200
    listing = fetch(app, client, "GET", f"{BASE}?lang=en").text
    assert "2 people have not answered yet." in listing
    assert ">Send reminders</button>" in listing
    mail.handler.received.clear()
    reminded = fetch(app, client, "POST", f"{BASE}/remind?lang=en")
    assert reminded.status_code == 200
    assert reminded.headers["Cache-Control"] == "no-store"
    assert "2 people got a new personal link" in reminded.text
    assert '<dd data-count="sent">2</dd>' in reminded.text
    new_links = {
        r["email"]: LINK.fullmatch(r["link"]).group(1) for r in csv_rows(links_csv(reminded))
    }
    assert sorted(new_links) == ["ayse@example.org", "nour@example.org"]
    for address, token in new_links.items():
        assert LINK.findall(mail.handler.to(address).body()) == [token]
        assert token != links[address]
        assert opens(app, links[address]) == 404  # the earlier link stopped working
        assert opens(app, token) == 200
    assert invitation_events() == ["invitation.create", "invitation.send", "invitation.remind"]


def test_an_unreachable_mail_server_keeps_the_invitations_and_their_links(
    app, staff: Staff
) -> None:
    from tests.invitations.conftest import free_port

    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_DEFAULT_SENDER="c@example.org"
    )
    client = client_for(app, staff.facilitator)
    created = create_through_the_pages(app, client, action="send")
    assert created.status_code == 200
    assert '<dd data-count="failed">3</dd>' in created.text
    assert "can still use the link in the downloaded file" in created.text
    tokens = [LINK.fullmatch(r["link"]).group(1) for r in csv_rows(links_csv(created))]
    assert count() == 3
    assert all(opens(app, t) == 200 for t in tokens)


def test_without_smtp_there_are_no_mail_buttons(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    create_through_the_pages(app, client)
    listing = fetch(app, client, "GET", f"{BASE}?lang=en").text
    assert "E-mail is not configured on this server" in listing
    assert "/remind" not in listing
    response = fetch(app, client, "POST", f"{BASE}/remind?lang=en")
    assert response.status_code == 409
    payload = payload_of(upload(app, client, csv_bytes(EVIL)))
    assert confirm(app, client, payload, action="send").status_code == 400
    assert count() == 3


# --- states, limits, anonymity, permissions -----------------------------------------------------


def test_a_closed_consultation_takes_no_new_invitations(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    payload = payload_of(upload(app, client, CLEAN))
    db.session.get(Consultation, staff.a.id).state = ConsultationState.CLOSED
    listing = fetch(app, client, "GET", f"{BASE}?lang=en")
    assert "nobody can be invited any more" in listing.text
    assert "/upload" not in listing.text
    preview = upload(app, client, CLEAN)
    assert preview.status_code == 422
    assert "This consultation is closed: nobody can be invited any more." in preview.text
    refused = confirm(app, client, payload)
    assert refused.status_code == 409
    assert "This consultation is closed" in refused.text
    assert count() == 0


def test_files_over_the_limits_are_refused(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    big = csv_bytes(*[f"Org {i},Name {i},p{i}@example.org,donor,en," for i in range(2)])
    big += b"#" * (MAX_CSV_BYTES + 1 - len(big))
    response = upload(app, client, big)
    assert response.status_code == 422
    assert "The file is larger than 2 MB." in response.text
    huge = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = upload(app, client, huge)
    assert response.status_code == 413
    assert "The file is larger than 5 MB: nothing was imported." in response.text
    missing = fetch(app, client, "POST", f"{BASE}/upload?lang=en", data={})
    assert missing.status_code == 422
    assert "Choose a CSV file to upload." in missing.text
    assert count() == 0


def test_anonymous_mode_says_answers_are_not_linked(app, staff: Staff) -> None:
    db.session.get(Consultation, staff.a.id).anonymity = AnonymityMode.ANONYMOUS
    client = client_for(app, staff.facilitator)
    create_through_the_pages(app, client)
    listing = fetch(app, client, "GET", f"{BASE}?lang=en").text
    assert "Anonymous consultation: this list shows whether each person has answered" in listing
    nav_end = listing.index("</nav>", listing.index('class="workspace-nav"'))
    assert "receipt" not in listing[nav_end:].lower()  # the page, not its navigation


@pytest.mark.parametrize("role", ["analyst", "other_facilitator", "outside_analyst"])
def test_only_editors_of_the_consultation_may_invite(app, staff: Staff, role: str) -> None:
    owner = client_for(app, staff.facilitator)
    payload = payload_of(upload(app, owner, CLEAN))
    client = client_for(app, staff.user(role))
    assert fetch(app, client, "GET", BASE).status_code == 403
    assert upload(app, client, CLEAN).status_code == 403
    assert confirm(app, client, payload).status_code == 403
    assert fetch(app, client, "POST", f"{BASE}/remind").status_code == 403
    assert count() == 0


def test_the_nav_links_invitations_for_editors_only(app, staff: Staff) -> None:
    page = f"/manage/consultations/{SLUG}/monitoring?lang=en"
    link = f'href="{BASE}"'
    assert link in fetch(app, client_for(app, staff.facilitator), "GET", page).text
    assert link not in fetch(app, client_for(app, staff.analyst), "GET", page).text


def test_forms_need_their_csrf_token(migrated_url: str, staff: Staff) -> None:
    csrf_app = make_test_app(migrated_url, WTF_CSRF_ENABLED=True)
    client = client_for(csrf_app, staff.facilitator)
    assert upload(csrf_app, client, CLEAN).status_code == 400
    page = fetch(csrf_app, client, "GET", f"{BASE}?lang=en").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = upload(csrf_app, client, CLEAN, csrf_token=token)
    assert response.status_code == 200
    assert confirm(csrf_app, client, payload_of(response)).status_code == 400  # no token
    assert count() == 0


def test_the_pages_are_translated_and_right_to_left_in_arabic(app, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    listing = fetch(app, client, "GET", f"{BASE}?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in listing
    assert "<h1>الدعوات</h1>" in listing
    preview = fetch(
        app,
        client,
        "POST",
        f"{BASE}/upload?lang=tr",
        **multipart(file=FileStorage(io.BytesIO(BROKEN), "a.csv")),
    ).text
    assert "3 hata: hiçbir şey içe aktarılmadı" in preview
    assert "Bilinmeyen paydaş grubu “astronaut”" in preview
