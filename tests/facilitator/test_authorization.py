"""The authorization matrix: every /manage and /account route × every kind of visitor.

The routes come from ``app.url_map``; a route without a row in ``EXPECTED`` fails the test, so
a new route cannot ship without deciding who may use it. A consultation the visitor may not see
is 403 on every route (a slug that does not exist is 404); anonymous visitors are sent to the
sign-in page (302).
"""

from __future__ import annotations

import pytest
from flask import Flask

from consult.extensions import db
from consult.models import ConsultationState
from tests.facilitator.conftest import FS_TUPLE_CHOICES, ROLES, Staff, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

PREFIXES = ("/manage", "/account")
_, ADM, FAC, OTH, ANA, OUT = ROLES

_P = "/manage/consultations/<slug>"
_S = _P + "/questionnaire/sections/<section_id>"
_Q = _P + "/questionnaire/questions/<question_id>"
_OK = (302, 200, 200, 403, 403, 403)
_ID = (302, 404, 404, 403, 403, 403)

# (method, rule) -> (status for anonymous, admin, facilitator of A, facilitator of B,
#                     analyst member of A, analyst member of nothing). <slug> is A.
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    ("GET", "/manage/"): (302, 200, 200, 200, 200, 200),
    ("GET", "/manage/consultations/<slug>"): (302, 200, 200, 403, 200, 403),
    ("POST", "/manage/consultations/<slug>/transition"): (302, 302, 302, 403, 403, 403),
    ("GET", "/manage/consultations/<slug>/monitoring"): (302, 200, 200, 403, 200, 403),
    ("GET", "/manage/audit"): (302, 200, 403, 403, 403, 403),
    ("GET", "/account/login"): (200, 302, 302, 302, 302, 302),
    ("POST", "/account/login"): (200, 302, 302, 302, 302, 302),
    ("POST", "/account/logout"): (302, 302, 302, 302, 302, 302),
    ("GET", "/account/verify"): (302, 200, 200, 200, 200, 200),
    ("POST", "/account/verify"): (302, 200, 200, 200, 200, 200),
    ("GET", "/account/tf-setup"): (302, 200, 200, 200, 200, 200),
    ("POST", "/account/tf-setup"): (302, 200, 200, 200, 200, 200),
    ("POST", "/account/tf-setup/<token>"): (302, 302, 302, 302, 302, 302),
    ("GET", "/account/tf-validate"): (302, 302, 302, 302, 302, 302),
    ("POST", "/account/tf-validate"): (302, 302, 302, 302, 302, 302),
    ("GET", "/account/tf-rescue"): (302, 302, 302, 302, 302, 302),
    ("POST", "/account/tf-rescue"): (302, 302, 302, 302, 302, 302),
    ("GET", "/account/change"): (302, 200, 200, 200, 200, 200),
    ("POST", "/account/change"): (302, 200, 200, 200, 200, 200),
    ("GET", "/account/tf-select"): (302, 302, 302, 302, 302, 302),
    ("POST", "/account/tf-select"): (302, 302, 302, 302, 302, 302),
    ("GET", "/account/fs-static/<path:filename>"): (404, 404, 404, 404, 404, 404),
    # the questionnaire builder (ids of another consultation's sections/questions are 404)
    ("GET", f"{_P}/questionnaire"): _OK,
    ("GET", f"{_P}/questionnaire/sections/new"): _OK,
    ("POST", f"{_P}/questionnaire/sections/new"): (302, 422, 422, 403, 403, 403),
    ("GET", f"{_S}/edit"): _ID,
    ("POST", f"{_S}/edit"): _ID,
    ("GET", f"{_S}/delete"): _ID,
    ("POST", f"{_S}/delete"): _ID,
    ("POST", f"{_S}/move"): _ID,
    ("GET", f"{_S}/questions/new"): _ID,
    ("POST", f"{_S}/questions/new"): _ID,
    ("GET", f"{_Q}/edit"): _ID,
    ("POST", f"{_Q}/edit"): _ID,
    ("GET", f"{_Q}/delete"): _ID,
    ("POST", f"{_Q}/delete"): _ID,
    ("POST", f"{_Q}/move"): _ID,
    ("GET", f"{_P}/translations"): _OK,
    ("GET", f"{_P}/preview"): _OK,
}
ARGUMENTS = {"slug": "migration-action-plan", "token": "not-a-token", "filename": "missing.js"}


def routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, rule) under the staff prefixes."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIXES):
            for method in rule.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    found.add((method, rule.rule))
    return sorted(found)


def test_every_staff_route_has_expectations(app: Flask) -> None:
    missing = [route for route in routes(app) if route not in EXPECTED]
    assert not missing, f"add these routes to EXPECTED: {missing}"
    stale = [route for route in EXPECTED if route not in routes(app)]
    assert not stale, f"these routes no longer exist: {stale}"


def url_for_rule(rule: str) -> str:
    for name, value in ARGUMENTS.items():
        rule = rule.replace(f"<{name}>", value).replace(f"<path:{name}>", value)
    return rule


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_matrix(app: Flask, staff: Staff, route: tuple[str, str]) -> None:
    method, rule = route
    url = url_for_rule(rule)
    got = {}
    for role in ROLES:
        client = app.test_client()
        sign_in_as(client, staff.user(role))
        data = {}
        if "transition" in rule:  # a valid change from the current state, current version
            db.session.refresh(staff.a)
            action = "close" if staff.a.state == ConsultationState.OPEN else "reopen"
            data = {"action": action, "version": str(staff.a.version)}
        response = fetch(app, client, method, url, data=data)
        got[role] = response.status_code
        if role == "anonymous" and rule.startswith("/manage"):
            assert response.location.startswith("/account/login"), response.location
    assert got == dict(zip(ROLES, EXPECTED[route], strict=True))


@pytest.mark.parametrize("role", [FAC, ANA])
@pytest.mark.parametrize("suffix", ["", "/monitoring"])
def test_members_of_a_do_not_see_b(app: Flask, staff: Staff, role: str, suffix: str) -> None:
    client = app.test_client()
    sign_in_as(client, staff.user(role))
    url = f"/manage/consultations/{staff.b.slug}{suffix}"
    assert fetch(app, client, "GET", url).status_code == 403


def test_unknown_consultation_is_404(app: Flask, staff: Staff) -> None:
    client = app.test_client()
    sign_in_as(client, staff.admin)
    assert fetch(app, client, "GET", "/manage/consultations/nope").status_code == 404


def test_list_shows_only_visible_consultations(app: Flask, staff: Staff) -> None:
    for role, visible, hidden in [
        (FAC, [staff.a.slug], [staff.b.slug]),
        (OTH, [staff.b.slug], [staff.a.slug]),
        (OUT, [], [staff.a.slug, staff.b.slug]),
        (ADM, [staff.a.slug, staff.b.slug], []),
    ]:
        client = app.test_client()
        sign_in_as(client, staff.user(role))
        html = fetch(app, client, "GET", "/manage/?lang=en").get_data(as_text=True)
        for slug in visible:
            assert f'href="/manage/consultations/{slug}"' in html, (role, slug)
        for slug in hidden:
            assert f"/manage/consultations/{slug}" not in html, (role, slug)
