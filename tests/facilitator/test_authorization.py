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
    ("POST", f"{_Q}/section"): _ID,
    # background jobs: their creator (here nobody: 404) and admins; others 403 by consultation
    ("GET", f"{_P}/jobs/<public_id>"): (302, 404, 404, 403, 404, 403),
    ("GET", f"{_P}/jobs/<public_id>/download"): (302, 404, 404, 403, 404, 403),
    # the lists: objectives, items, stakeholder groups (builder)
    ("GET", f"{_P}/lists"): _OK,
    ("GET", f"{_P}/lists/<kind>/new"): _ID,
    ("POST", f"{_P}/lists/<kind>/new"): _ID,
    ("GET", f"{_P}/lists/<kind>/<entry_id>/edit"): _ID,
    ("POST", f"{_P}/lists/<kind>/<entry_id>/edit"): _ID,
    ("GET", f"{_P}/lists/<kind>/<entry_id>/delete"): _ID,
    ("POST", f"{_P}/lists/<kind>/<entry_id>/delete"): _ID,
    ("GET", f"{_P}/translations"): _OK,
    ("GET", f"{_P}/preview"): _OK,
    # consultation settings, copy, members (empty POSTs are refused forms: 422, or 400);
    # members are visible to every member, changed by editors only; accounts: admins only
    ("GET", "/manage/consultations/new"): (302, 200, 200, 200, 403, 403),
    ("POST", "/manage/consultations/new"): (302, 422, 422, 422, 403, 403),
    ("GET", f"{_P}/settings"): _OK,
    ("POST", f"{_P}/settings"): (302, 422, 422, 403, 403, 403),
    ("GET", f"{_P}/copy"): _OK,
    ("POST", f"{_P}/copy"): (302, 422, 422, 403, 403, 403),
    ("GET", f"{_P}/members"): (302, 200, 200, 403, 200, 403),
    ("POST", f"{_P}/members"): (302, 422, 422, 403, 403, 403),
    ("POST", f"{_P}/members/remove"): (302, 400, 400, 403, 403, 403),
    ("GET", "/manage/accounts"): (302, 200, 403, 403, 403, 403),
    ("GET", "/manage/accounts/new"): (302, 200, 403, 403, 403, 403),
    ("POST", "/manage/accounts/new"): (302, 422, 403, 403, 403, 403),
    ("POST", "/manage/accounts/<user_id>/deactivate"): (302, 404, 403, 403, 403, 403),
    ("POST", "/manage/accounts/<user_id>/reactivate"): (302, 404, 403, 403, 403, 403),
    # invitations (editors only: personal data) — an empty upload is a refused form (422), an
    # unsigned confirmation 400, reminders without SMTP 409; import (site facilitators and
    # admins; empty POST 422) and export (every member)
    ("GET", f"{_P}/invitations"): _OK,
    ("POST", f"{_P}/invitations/upload"): (302, 422, 422, 403, 403, 403),
    ("POST", f"{_P}/invitations/confirm"): (302, 400, 400, 403, 403, 403),
    ("POST", f"{_P}/invitations/remind"): (302, 409, 409, 403, 403, 403),
    ("GET", f"{_P}/invitations/<invitation_id>/revoke"): _ID,
    ("POST", f"{_P}/invitations/<invitation_id>/revoke"): _ID,
    ("GET", "/manage/consultations/import"): (302, 200, 200, 200, 403, 403),
    ("POST", "/manage/consultations/import"): (302, 422, 422, 422, 403, 403),
    ("GET", f"{_P}/export"): (302, 200, 200, 403, 200, 403),
    ("GET", f"{_P}/export.json"): (302, 200, 200, 403, 200, 403),
    ("GET", f"{_P}/export.xlsx"): (302, 200, 200, 403, 200, 403),
    # results and the action-plan draft (analyst workspace: every member may analyse)
    ("GET", f"{_P}/results"): (302, 200, 200, 403, 200, 403),
    ("GET", f"{_P}/action-plan"): (302, 200, 200, 403, 200, 403),
    # analyst exports of responses and results tables (every member); the matrix's demo has no
    # responses, so a results table is refused (409)
    ("GET", f"{_P}/exports"): (302, 200, 200, 403, 200, 403),
    ("GET", f"{_P}/exports/<shape>.<fmt>"): (302, 200, 200, 403, 200, 403),
    ("POST", f"{_P}/exports/<shape>.<fmt>/background"): (302, 302, 302, 403, 302, 403),
    ("GET", f"{_P}/exports/results/<question>.<fmt>"): (302, 409, 409, 403, 409, 403),
    # the priority report as PDF (every member may analyse); the PDF renders without responses
    ("GET", f"{_P}/report"): (302, 200, 200, 403, 200, 403),
    ("GET", f"{_P}/report.pdf"): (302, 200, 200, 403, 200, 403),
    ("POST", f"{_P}/report/background"): (302, 302, 302, 403, 302, 403),
    # open answers and quotes (every member may analyse; a POST without an action is 400);
    # published reports: an empty publish form is refused (422), a version that is not a
    # number is 404
    ("GET", f"{_P}/open-text"): (302, 200, 200, 403, 200, 403),
    ("POST", f"{_P}/open-text"): (302, 400, 400, 403, 400, 403),
    ("GET", f"{_P}/reports/published"): (302, 200, 200, 403, 200, 403),
    ("POST", f"{_P}/reports/publish"): (302, 422, 422, 403, 422, 403),
    ("GET", f"{_P}/reports/published/<version>"): (302, 404, 404, 403, 404, 403),
    ("POST", f"{_P}/reports/published/<version>/verify"): (302, 404, 404, 403, 404, 403),
    # personal API tokens: every staff user manages their own (an empty name is refused: 422;
    # a token that is not theirs, here one that does not exist, is 404)
    ("GET", "/manage/api-tokens"): (302, 200, 200, 200, 200, 200),
    ("POST", "/manage/api-tokens"): (302, 422, 422, 422, 422, 422),
    ("POST", "/manage/api-tokens/<token_id>/revoke"): (302, 404, 404, 404, 404, 404),
    # Delphi rounds: preparing and opening a round is for editors (an empty form is refused:
    # 422, an empty open 400); the summary is for every member who may read results
    ("GET", f"{_P}/delphi"): (302, 200, 200, 403, 200, 403),
    ("GET", f"{_P}/rounds/next"): _OK,
    ("POST", f"{_P}/rounds/next"): (302, 422, 422, 403, 403, 403),
    ("POST", f"{_P}/rounds/open"): (302, 400, 400, 403, 403, 403),
}
ARGUMENTS = {
    "slug": "migration-action-plan",
    "token": "not-a-token",
    "filename": "missing.js",
    "user_id": "999999",  # no such account
    # analyst exports
    "shape": "wide",
    "fmt": "csv",
    "question": "top5_actions",
    "token_id": "999999",  # API tokens: no such token
}


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
