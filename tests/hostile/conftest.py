"""The world the hostile tests attack: both demo consultations with a few responses, one
account of each kind, an invitation, an API token and a participant half-way through; every
form of the site found by following the links of its pages.

The world is built once per module (hostile requests rarely change it; when one succeeds it
changes the world a little, which only makes later requests meet a different state) and every
table is emptied afterwards, like the ``app`` fixture does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from consult.extensions import db
from consult.models import Consultation, Invitation, Question, Round, Section
from consult.services.api_tokens import create_token
from consult.services.demo import load_demo
from consult.services.demo_question_types import load_question_types_demo
from consult.services.tokens import hash_token, new_token
from tests.conftest import make_test_app
from tests.facilitator.conftest import add_user, join, sign_in_as
from tests.participate.helpers import location, start_open_link
from tests.web.catalogs import require_compiled_catalogs

A, B = "migration-action-plan", "question-types"
STAFF_PREFIXES = ("/manage", "/account")
PARTICIPANT_PREFIXES = ("/c/", "/r/", "/i/")
SKIP_LINK = (".pdf", ".xlsx", ".csv", ".json", ".sav", "/download", "/logout", "/static/")
MAX_PAGES = 250  # pages the crawl visits at most
PER_ENDPOINT = 2  # pages of one kind (one endpoint: /questions/<id>/edit ...) the crawl visits


@dataclass
class Control:
    """A control of a form as the page renders it."""

    tag: str
    type: str
    name: str
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    """A POST form: where it goes, how it is encoded, its controls, and the page it is on."""

    action: str  # path and query
    enctype: str
    controls: list[Control]
    page: str
    role: str  # "staff", "anonymous" or "participant": whose browser showed it

    @property
    def has_file(self) -> bool:
        return any(c.type == "file" for c in self.controls)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict[str, str], list[Control]]] = []
        self.links: list[str] = []
        self._controls: list[Control] | None = None
        self._select: Control | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._controls = []
            self.forms.append((a, self._controls))
        elif self._controls is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit")
            self._controls.append(Control(tag, kind, a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = Control("select", "select", a.get("name", ""))
            self._controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = Control("textarea", "textarea", a.get("name", ""))
            self._controls.append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._controls = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data


@dataclass
class World:
    """What the hostile requests are sent into, and with whose browser."""

    app: Flask
    url: str
    clients: dict[str, FlaskClient]
    ids: dict[str, list[str]]  # ids and codes of consultation B (another consultation's)
    forms: dict[str, list[Form]] = field(default_factory=dict)  # endpoint -> forms found
    pages: int = 0

    def endpoint(self, path: str, method: str = "POST") -> str | None:
        """The endpoint that serves ``path`` (None: no route)."""
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _ = adapter.match(urlsplit(path).path, method=method)
        except HTTPException:
            return None
        return str(endpoint)

    def request(self, role: str, method: str, url: str, **kwargs: Any) -> Any:
        """One request in its own application context (a fresh ``g``, as in production)."""
        with self.app.app_context():
            return self.clients[role].open(url, method=method, **kwargs)


def _prefix_role(path: str) -> str | None:
    if path.startswith("/account/login"):
        return "anonymous"
    if path.startswith(STAFF_PREFIXES):
        return "staff"
    if path.startswith(PARTICIPANT_PREFIXES):
        return "participant"
    return None


def crawl(world: World, seeds: list[tuple[str, str]]) -> None:
    """Visit the pages reachable from ``seeds`` (GET only) and record every POST form."""
    queue = list(seeds)
    seen = {url for _, url in seeds}
    visits: dict[str | None, int] = {}
    while queue and world.pages < MAX_PAGES:
        role, url = queue.pop(0)
        response = world.request(role, "GET", url)
        world.pages += 1
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for attrs, controls in parser.forms:
            if attrs.get("method", "get").lower() != "post":
                continue
            action = urljoin(url, attrs.get("action") or url)
            parts = urlsplit(action)
            action = parts.path + (f"?{parts.query}" if parts.query else "")
            endpoint = world.endpoint(action)
            if endpoint is None:
                continue
            found = world.forms.setdefault(endpoint, [])
            if len(found) < 3 and all(f.action != action for f in found):
                enctype = attrs.get("enctype", "application/x-www-form-urlencoded")
                found.append(Form(action, enctype, controls, url, role))
        for href in parser.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc not in ("", "localhost") or parts.path.endswith(SKIP_LINK):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            link_role = _prefix_role(parts.path)
            if link_role is None or link in seen or "lang=" in parts.query:
                continue
            kind = world.endpoint(parts.path, "GET")
            if kind is None or visits.get(kind, 0) >= PER_ENDPOINT:
                continue
            visits[kind] = visits.get(kind, 0) + 1
            if link_role == "staff" and role == "participant":
                continue
            if role == "participant" and link_role == "participant":
                link_role = "participant"
            seen.add(link)
            queue.append((link_role, link))


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


@pytest.fixture(scope="module")
def world(migrated_url: str) -> Iterator[World]:
    """Both demos (A with 12 responses), staff accounts, an invitation, an API token, a
    participant at page 2 of A; every POST form found on the pages they can see."""
    app = make_test_app(
        migrated_url,
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={"argon2__rounds": 1, "argon2__memory_cost": 64},
        JOBS_INLINE=True,
        RATELIMIT_ENABLED=False,  # throttling is tested elsewhere; here every request is served
    )
    with app.app_context():
        load_demo(db.session, responses=12)
        load_question_types_demo(db.session)
        a = db.session.scalars(sa.select(Consultation).filter_by(slug=A)).one()
        b = db.session.scalars(sa.select(Consultation).filter_by(slug=B)).one()
        admin = add_user("admin@example.org", "admin", two_factor=True)
        facilitator = add_user("fac-a@example.org", "facilitator")
        add_user("analyst@example.org", "analyst")
        from consult.models import MembershipRole

        join(facilitator, a, MembershipRole.FACILITATOR)
        token = new_token()
        db.session.add(
            Invitation(consultation_id=a.id, token_hash=hash_token(token), language="en")
        )
        create_token(db.session, admin, "hostile tests")
        db.session.commit()
        in_b = Round.consultation_id == b.id
        ids = {
            "section": [
                str(i) for i in db.session.scalars(sa.select(Section.id).join(Round).where(in_b))
            ],
            "question": [
                str(i) for i in db.session.scalars(sa.select(Question.id).join(Round).where(in_b))
            ],
        }
        clients = {"staff": app.test_client(), "anonymous": app.test_client()}
        clients["participant"] = app.test_client()
        sign_in_as(clients["staff"], admin)
        db.session.remove()
    w = World(app, migrated_url, clients, ids)
    with app.app_context():
        first = start_open_link(clients["participant"], A)
        second = location(
            clients["participant"].post(
                first, data={"q-stakeholder_group": "academic", "q-district": "fatih"}
            )
        )
        invited = location(clients["participant"].post(f"/i/{token}/", data={"consent": "y"}))
    resume = first.rsplit("/page/", 1)[0]
    crawl(
        w,
        [
            ("staff", "/manage/"),
            ("staff", f"/manage/consultations/{A}"),
            ("staff", f"/manage/consultations/{B}"),
            ("staff", "/manage/accounts"),
            ("staff", "/manage/api-tokens"),
            ("staff", "/account/change"),
            ("staff", "/account/tf-setup"),
            ("staff", "/account/verify"),
            ("anonymous", "/account/login"),
            ("participant", f"/c/{A}"),
            ("participant", f"/c/{A}/withdraw"),
            ("anonymous", f"/i/{token}/"),  # consent not given in this browser: the landing
            ("participant", second),
            ("participant", f"{resume}/page/3"),
            ("participant", f"{resume}/page/4"),
            ("participant", f"{resume}/review"),
            ("participant", invited),
            ("participant", f"/i/{token}/review"),
        ],
    )
    yield w
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()
