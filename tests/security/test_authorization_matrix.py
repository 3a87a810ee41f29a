"""The authorization matrix: every route of ``app.url_map`` × every method × every kind of
visitor (``ROLES`` in ``tests.security.world``).

The eight roles, in the order of every expectation tuple: anonymous, participant of A (their
session after agreeing to an invitation of A), participant of B (the same with B's invitation;
their ``<token>`` is B's, everything else points at A), facilitator of A, facilitator of B,
analyst member of A, analyst member of nothing, admin. Staff roles are signed in by session;
under ``/api/`` they send their own API token instead (cookies do not authenticate the API:
participants there are anonymous, and ``test_api_ignores_session_cookies`` checks that a
staff cookie alone is refused).

Every placeholder is filled with data of consultation A (``static_values`` and ``FRESH``). Rows that
could delete, revoke or deactivate something get a disposable row for every single request
(``FRESH``), so no request destroys what a later row needs; POSTs are sent without a CSRF
token (CSRF is disabled here; ``test_csrf`` checks it on every state-changing route).

How to add a route: add one line to ``EXPECTED`` — ``(METHOD, rule): statuses`` — with the
eight statuses, usually one of the shorthands (``STAFF(...)`` for /manage, ``API(...)`` for
/api/v1, ``EVERYONE(...)``, ``MEMBERS``, ``EDITORS`` ...). A route without a row fails
``test_every_route_has_a_row``, and so does a row whose route is gone. A new placeholder needs
a value in ``static_values`` (or a disposable-row factory in ``FRESH``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack

import pytest
import sqlalchemy as sa
from flask import Flask

from consult.extensions import db
from consult.models import ConsultationState, Response, ResponseState
from tests.facilitator.conftest import FS_TUPLE_CHOICES
from tests.security import world as w
from tests.security.world import PARTICIPANTS, ROLES, STAFF_ROLES, World

pytestmark = [
    pytest.mark.db,
    pytest.mark.filterwarnings(FS_TUPLE_CHOICES),
    pytest.mark.filterwarnings(w.HARFBUZZ_SUBSET),
]

Statuses = tuple[int, int, int, int, int, int, int, int]
IGNORED_RULES = frozenset({"/static/<path:filename>"})  # Flask's static files: public


def STAFF(fac: int, fac_b: int, analyst: int, outsider: int, admin: int) -> Statuses:
    """A staff page: anonymous visitors and participants are sent to sign in (302)."""
    return (302, 302, 302, fac, fac_b, analyst, outsider, admin)


def API(fac: int, fac_b: int, analyst: int, outsider: int, admin: int) -> Statuses:
    """An API route: no bearer token is 401, whatever cookie comes along."""
    return (401, 401, 401, fac, fac_b, analyst, outsider, admin)


def EVERYONE(status: int) -> Statuses:
    return (status,) * 8  # type: ignore[return-value]


# /manage shorthands: who of A's people may do it; B's facilitator and outsiders get 403
MEMBERS = STAFF(200, 403, 200, 403, 200)  # every member of A (and admins) may see it
EDITORS = STAFF(200, 403, 403, 403, 200)  # A's facilitators (and admins) only
ADMINS = STAFF(403, 403, 403, 403, 200)
ANY_STAFF = STAFF(200, 200, 200, 200, 200)


def EDIT(status: int) -> Statuses:
    """Editors of A get ``status`` (a refused empty form, a redirect ...); others 403."""
    return STAFF(status, 403, 403, 403, status)


def MEMBER(status: int) -> Statuses:
    """Every member of A (and admins) gets ``status``; B's facilitator and outsiders 403."""
    return STAFF(status, 403, status, 403, status)


# Flask-Security's account pages for signed-in staff: 302 onwards for visitors (sign in)
SIGNED_IN = STAFF(200, 200, 200, 200, 200)
ELSEWHERE = EVERYONE(302)  # two-factor steps outside a sign-in: sent away

_P = "/manage/consultations/<slug>"
_S = _P + "/questionnaire/sections/<section_id>"
_Q = _P + "/questionnaire/questions/<question_id>"
_API = "/api/v1/consultations"

EXPECTED: dict[tuple[str, str], Statuses] = {
    # --- public pages --------------------------------------------------------------------------
    ("GET", "/"): EVERYONE(200),
    ("GET", "/healthz"): EVERYONE(200),
    # --- the open link (slug A) and withdrawal: open to everyone; an empty POST is a refused
    # form shown again (200) -------------------------------------------------------------------
    ("GET", "/c/<slug>"): EVERYONE(200),
    ("POST", "/c/<slug>"): EVERYONE(200),
    ("GET", "/c/<slug>/withdraw"): EVERYONE(200),
    ("POST", "/c/<slug>/withdraw"): EVERYONE(200),
    ("GET", "/c/<slug>/withdrawn"): EVERYONE(200),
    # --- invitation survey /i/<token>: the token is the credential (a bearer capability), so
    # whoever holds A's token — staff included — reaches A's invitation response. Without the
    # participant's consent (in their session) its pages send back to the landing page (302).
    # B's participant uses B's token: their own survey.
    ("GET", "/i/<token>/"): (200, 302, 302, 200, 200, 200, 200, 200),
    ("POST", "/i/<token>/"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/i/<token>/page/<int:number>"): (302, 200, 200, 302, 302, 302, 302, 302),
    ("POST", "/i/<token>/page/<int:number>"): EVERYONE(200),
    ("GET", "/i/<token>/review"): (302, 200, 200, 302, 302, 302, 302, 302),
    ("POST", "/i/<token>/review"): EVERYONE(200),
    ("GET", "/i/<token>/done"): EVERYONE(302),  # not sent yet: to the review page
    # --- open-link survey /r/<token> (resume token of an open-link response of A; B's for B's
    # participant): the same capability, consent was given before the response existed
    ("GET", "/r/<token>/"): EVERYONE(302),
    ("GET", "/r/<token>/page/<int:number>"): EVERYONE(200),
    ("POST", "/r/<token>/page/<int:number>"): EVERYONE(200),
    ("GET", "/r/<token>/review"): EVERYONE(200),
    ("POST", "/r/<token>/review"): EVERYONE(200),
    ("GET", "/r/<token>/done"): EVERYONE(302),
    ("POST", "/r/<token>/"): EVERYONE(302),
    # --- the read-only JSON API: a consultation the token's owner may not analyse is 404 --------
    ("GET", "/api/v1/openapi.json"): EVERYONE(200),
    ("GET", _API): API(200, 200, 200, 200, 200),
    ("GET", f"{_API}/<slug>"): API(200, 404, 200, 404, 200),
    ("GET", f"{_API}/<slug>/results"): API(200, 404, 200, 404, 200),  # ?question= (QUERY)
    ("GET", f"{_API}/<slug>/exports/<shape>.<fmt>"): API(200, 404, 200, 404, 200),
    # --- sign-in and account (Flask-Security) --------------------------------------------------
    ("GET", "/account/login"): (200, 200, 200, 302, 302, 302, 302, 302),
    ("POST", "/account/login"): (200, 200, 200, 302, 302, 302, 302, 302),
    ("POST", "/account/logout"): EVERYONE(302),
    ("GET", "/account/verify"): SIGNED_IN,
    ("POST", "/account/verify"): SIGNED_IN,
    ("GET", "/account/tf-setup"): SIGNED_IN,
    ("POST", "/account/tf-setup"): SIGNED_IN,
    ("POST", "/account/tf-setup/<token>"): ELSEWHERE,
    ("GET", "/account/tf-validate"): ELSEWHERE,
    ("POST", "/account/tf-validate"): ELSEWHERE,
    ("GET", "/account/tf-rescue"): ELSEWHERE,
    ("POST", "/account/tf-rescue"): ELSEWHERE,
    ("GET", "/account/tf-select"): ELSEWHERE,
    ("POST", "/account/tf-select"): ELSEWHERE,
    ("GET", "/account/change"): SIGNED_IN,
    ("POST", "/account/change"): SIGNED_IN,
    ("GET", "/account/fs-static/<path:filename>"): EVERYONE(404),
    # --- staff home, consultation overview, lifecycle, audit -----------------------------------
    ("GET", "/manage/"): ANY_STAFF,
    ("GET", _P): MEMBERS,
    ("POST", f"{_P}/transition"): EDIT(302),  # a valid change (close, then reopen)
    ("GET", f"{_P}/monitoring"): MEMBERS,
    ("GET", "/manage/audit"): ADMINS,
    # --- the questionnaire builder: editors; a section or question of A -----------------------
    ("GET", f"{_P}/questionnaire"): EDITORS,
    ("GET", f"{_P}/questionnaire/sections/new"): EDITORS,
    ("POST", f"{_P}/questionnaire/sections/new"): EDIT(422),
    ("GET", f"{_S}/edit"): EDITORS,
    ("POST", f"{_S}/edit"): EDIT(422),
    ("GET", f"{_S}/delete"): EDITORS,
    ("POST", f"{_S}/delete"): EDIT(302),
    ("POST", f"{_S}/move"): EDIT(400),
    ("GET", f"{_S}/questions/new"): EDITORS,
    ("POST", f"{_S}/questions/new"): EDIT(200),  # no type chosen yet: the type step again
    ("GET", f"{_Q}/edit"): EDITORS,
    ("POST", f"{_Q}/edit"): EDIT(422),
    ("GET", f"{_Q}/delete"): EDITORS,
    ("POST", f"{_Q}/delete"): EDIT(302),
    ("POST", f"{_Q}/move"): EDIT(400),
    ("POST", f"{_Q}/section"): EDIT(404),  # no target section: no such section
    # --- background jobs: their creator (A's facilitator) and admins; other members of A 404 --
    ("GET", f"{_P}/jobs/<public_id>"): STAFF(200, 403, 404, 403, 200),
    ("GET", f"{_P}/jobs/<public_id>/download"): STAFF(200, 403, 404, 403, 200),
    # --- the lists: objectives, items, stakeholder groups (an objective of A) ------------------
    ("GET", f"{_P}/lists"): EDITORS,
    ("GET", f"{_P}/lists/<kind>/new"): EDITORS,
    ("POST", f"{_P}/lists/<kind>/new"): EDIT(422),
    ("GET", f"{_P}/lists/<kind>/<entry_id>/edit"): EDITORS,
    ("POST", f"{_P}/lists/<kind>/<entry_id>/edit"): EDIT(422),
    ("GET", f"{_P}/lists/<kind>/<entry_id>/delete"): EDITORS,
    ("POST", f"{_P}/lists/<kind>/<entry_id>/delete"): EDIT(302),
    ("GET", f"{_P}/translations"): EDITORS,
    ("GET", f"{_P}/preview"): EDITORS,
    # --- settings, copy, members (empty POSTs are refused forms: 422, or 400); members are
    # visible to every member, changed by editors; new consultations: site facilitators --------
    ("GET", "/manage/consultations/new"): STAFF(200, 200, 403, 403, 200),
    ("POST", "/manage/consultations/new"): STAFF(422, 422, 403, 403, 422),
    ("GET", f"{_P}/settings"): EDITORS,
    ("POST", f"{_P}/settings"): EDIT(422),
    ("GET", f"{_P}/copy"): EDITORS,
    ("POST", f"{_P}/copy"): EDIT(422),
    ("GET", f"{_P}/members"): MEMBERS,
    ("POST", f"{_P}/members"): EDIT(422),
    ("POST", f"{_P}/members/remove"): EDIT(400),
    # --- accounts: admins only (a spare analyst account) ---------------------------------------
    ("GET", "/manage/accounts"): ADMINS,
    ("GET", "/manage/accounts/new"): ADMINS,
    ("POST", "/manage/accounts/new"): STAFF(403, 403, 403, 403, 422),
    ("POST", "/manage/accounts/<user_id>/deactivate"): STAFF(403, 403, 403, 403, 302),
    ("POST", "/manage/accounts/<user_id>/reactivate"): STAFF(403, 403, 403, 403, 302),
    # --- invitations (editors only: personal data) — an empty upload is a refused form (422),
    # an unsigned confirmation 400, reminders without SMTP 409; import (site facilitators and
    # admins; empty POST 422) and export (every member) ---------------------------------------
    ("GET", f"{_P}/invitations"): EDITORS,
    ("POST", f"{_P}/invitations/upload"): EDIT(422),
    ("POST", f"{_P}/invitations/confirm"): EDIT(400),
    ("POST", f"{_P}/invitations/remind"): EDIT(409),
    ("GET", f"{_P}/invitations/<invitation_id>/revoke"): EDITORS,
    ("POST", f"{_P}/invitations/<invitation_id>/revoke"): EDIT(302),
    ("GET", "/manage/consultations/import"): STAFF(200, 200, 403, 403, 200),
    ("POST", "/manage/consultations/import"): STAFF(422, 422, 403, 403, 422),
    ("GET", f"{_P}/export"): MEMBERS,
    ("GET", f"{_P}/export.json"): MEMBERS,
    ("GET", f"{_P}/export.xlsx"): MEMBERS,
    # --- results, action plan, analyst exports, the report, open answers, publishing ----------
    ("GET", f"{_P}/results"): MEMBERS,
    ("GET", f"{_P}/action-plan"): MEMBERS,
    ("GET", f"{_P}/exports"): MEMBERS,
    ("GET", f"{_P}/exports/<shape>.<fmt>"): MEMBERS,
    ("POST", f"{_P}/exports/<shape>.<fmt>/background"): MEMBER(302),
    ("GET", f"{_P}/exports/results/<question>.<fmt>"): MEMBERS,
    ("GET", f"{_P}/report"): MEMBERS,
    ("GET", f"{_P}/report.pdf"): MEMBERS,
    ("POST", f"{_P}/report/background"): MEMBER(302),
    ("GET", f"{_P}/open-text"): MEMBERS,
    ("POST", f"{_P}/open-text"): MEMBER(400),  # no action
    ("GET", f"{_P}/reports/published"): MEMBERS,
    ("POST", f"{_P}/reports/publish"): MEMBER(422),
    ("GET", f"{_P}/reports/published/<version>"): MEMBERS,
    ("POST", f"{_P}/reports/published/<version>/verify"): MEMBER(200),  # the verdict page
    # --- personal API tokens: every staff user manages their own (an empty name: 422); the
    # token here is A's facilitator's, so everybody else gets 404 --------------------------
    ("GET", "/manage/api-tokens"): ANY_STAFF,
    ("POST", "/manage/api-tokens"): STAFF(422, 422, 422, 422, 422),
    ("POST", "/manage/api-tokens/<token_id>/revoke"): STAFF(302, 404, 404, 404, 404),
    # --- Delphi rounds: preparing and opening a round is for editors (empty form 422, empty
    # open 400); the summary for every member ------------------------------------------------
    ("GET", f"{_P}/delphi"): MEMBERS,
    ("GET", f"{_P}/rounds/next"): EDITORS,
    ("POST", f"{_P}/rounds/next"): EDIT(422),
    ("POST", f"{_P}/rounds/open"): EDIT(400),
    # --- live workshop: phones join by code (public; an empty answer while the session waits
    # for its first question is 409); starting, moving and ending are for editors (an empty
    # start form 422, an empty move 400), the projector and its results for every member ------
    ("GET", "/live"): EVERYONE(200),
    ("GET", "/live/<code>"): EVERYONE(200),
    ("POST", "/live/<code>"): EVERYONE(409),
    ("GET", "/live/<code>/state"): EVERYONE(200),
    ("GET", f"{_P}/live"): MEMBERS,
    ("POST", f"{_P}/live"): EDIT(422),
    ("GET", f"{_P}/live/<int:session_id>"): EDITORS,
    ("POST", f"{_P}/live/<int:session_id>/move"): EDIT(400),
    ("POST", f"{_P}/live/<int:session_id>/end"): EDIT(303),
    ("GET", f"{_P}/live/<int:session_id>/projector"): MEMBERS,
    ("GET", f"{_P}/live/<int:session_id>/results"): MEMBERS,
    # --- erasure by receipt code (editors; an empty form 422) --------------------------------
    ("GET", f"{_P}/erase"): EDITORS,
    ("POST", f"{_P}/erase"): EDIT(422),
}

# query strings some rows need to get past validation to the answer itself
QUERY = {f"{_API}/<slug>/results": "?question=" + w.A_QUESTION}
PLACEHOLDER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def static_values(world: World) -> dict[str, str]:
    return {
        "slug": world.staff.a.slug,
        "filename": "missing.js",
        "shape": "wide",
        "fmt": "csv",
        "question": w.A_QUESTION,
        "kind": "objective",
        "number": "1",
        "public_id": world.job_id,
        "version": world.report_version,
    }


# placeholders whose row a request may delete, revoke or deactivate: a new one per request
FRESH: dict[str, Callable[[World], AbstractContextManager[str]]] = {
    "section_id": w.fresh_section,
    "question_id": w.fresh_question,
    "entry_id": w.fresh_objective,
    "invitation_id": w.fresh_invitation,
    "user_id": w.fresh_account,
    "token_id": w.fresh_api_token,
    "code": w.fresh_live_code,  # a running live workshop of A (ended after the request)
    "session_id": w.fresh_live_session,
}


def routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, rule) of the app but HEAD, OPTIONS and the ignored rules."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule in IGNORED_RULES:
            continue
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                found.add((method, rule.rule))
    return sorted(found)


def fill(world: World, stack: ExitStack, rule: str, role: str) -> str:
    """``rule`` with every placeholder replaced by A's data (``<token>`` for ``role``)."""
    known = static_values(world)

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token":
            return world.token_for(role, rule)
        if name in FRESH:
            return stack.enter_context(FRESH[name](world))
        assert name in known, f"add a value for <{name}> to static_values or FRESH"
        return known[name]

    return PLACEHOLDER.sub(value, rule) + QUERY.get(rule, "")


def payload(world: World, rule: str) -> dict[str, str]:
    """The form data sent: empty, except a valid change for the lifecycle transition."""
    if rule.endswith("/transition"):
        a = db.session.merge(world.staff.a)
        db.session.refresh(a)
        action = "close" if a.state == ConsultationState.OPEN else "reopen"
        return {"action": action, "version": str(a.version)}
    return {}


@pytest.fixture(scope="module")
def world(migrated_url: str) -> Iterator[World]:
    built = w.build_world(migrated_url, responses=30)
    yield built
    w.destroy_world(built)


def test_every_route_has_a_row(world: World) -> None:
    present = routes(world.app)
    missing = [route for route in present if route not in EXPECTED]
    assert not missing, "add these routes to EXPECTED:\n" + "\n".join(map(str, missing))
    stale = [route for route in EXPECTED if route not in present]
    assert not stale, f"these routes no longer exist: {stale}"


def test_roles_are_the_issues_eight() -> None:
    assert len(ROLES) == 8
    assert all(len(statuses) == 8 for statuses in EXPECTED.values())


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_matrix(world: World, route: tuple[str, str]) -> None:
    method, rule = route
    got = {}
    for role in ROLES:
        with ExitStack() as stack:
            url = fill(world, stack, rule, role)
            response = world.request(role, method, url, data=payload(world, rule))
            got[role] = response.status_code
            if rule.startswith("/manage") and role not in STAFF_ROLES:
                assert response.location.startswith("/account/login"), (role, response.location)
            assert response.status_code != 500, (role, url)
    assert got == dict(zip(ROLES, EXPECTED[route], strict=True))


def test_matrix_left_a_intact(world: World) -> None:
    """The rows ran against A without destroying it: still open, same invitation working."""
    a = db.session.merge(world.staff.a)
    db.session.refresh(a)
    assert a.state == ConsultationState.OPEN
    response = world.request("participant", "GET", f"/i/{world.invitation_token['A']}/page/1")
    assert response.status_code == 200


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_api_ignores_session_cookies(world: World, role: str) -> None:
    """A signed-in staff session without a bearer token is anonymous to the API (401)."""
    for method, rule in routes(world.app):
        if rule.startswith("/api/") and rule != "/api/v1/openapi.json":
            with ExitStack() as stack:
                url = fill(world, stack, rule, role)
                response = world.request(role, method, url, bearer=False)
            assert response.status_code == 401, (role, url)
            assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("role", PARTICIPANTS)
def test_invitation_tokens_are_not_resume_tokens(world: World, role: str) -> None:
    """A participant's invitation token opens nothing under /r/, nor a resume token under /i/."""
    which = "A" if role == "participant" else "B"
    invitation, resume = world.invitation_token[which], world.resume_token[which]
    assert world.request(role, "GET", f"/r/{invitation}/review").status_code == 404
    assert world.request(role, "GET", f"/i/{resume}/review").status_code == 404


@pytest.mark.parametrize("suffix", ["", "/monitoring", "/results", "/invitations"])
def test_members_of_a_do_not_see_b(world: World, suffix: str) -> None:
    url = f"/manage/consultations/{world.staff.b.slug}{suffix}"
    for role in ("facilitator", "analyst", "outside_analyst"):
        assert world.request(role, "GET", url).status_code == 403, (role, url)


def test_unknown_consultation_is_404(world: World) -> None:
    assert world.request("admin", "GET", "/manage/consultations/nope").status_code == 404


def test_list_shows_only_visible_consultations(world: World) -> None:
    a, b = world.staff.a.slug, world.staff.b.slug
    for role, visible, hidden in [
        ("facilitator", [a], [b]),
        ("other_facilitator", [b], [a]),
        ("outside_analyst", [], [a, b]),
        ("admin", [a, b], []),
    ]:
        html = world.request(role, "GET", "/manage/?lang=en").get_data(as_text=True)
        for slug in visible:
            assert f'href="/manage/consultations/{slug}"' in html, (role, slug)
        for slug in hidden:
            assert f"/manage/consultations/{slug}" not in html, (role, slug)


def test_ids_of_a_are_404_under_b(world: World) -> None:
    """B's facilitator may edit B: naming a row of A (section, question, entry, invitation,
    job, report ...) under B's slug is 404 — ids never reach across consultations."""
    b_round = max(db.session.merge(world.staff.b).rounds, key=lambda r: r.number)
    data = {"step": "1", "section": str(b_round.sections[0].id)}  # valid moves within B
    checked = []
    for method, rule in routes(world.app):
        names = set(PLACEHOLDER.findall(rule)) - {"slug", "kind", "shape", "fmt", "question"}
        if not rule.startswith(_P) or not names:
            continue
        with ExitStack() as stack:
            url = fill(world, stack, rule, "other_facilitator")
            url = url.replace(world.staff.a.slug, world.staff.b.slug, 1)
            response = world.request("other_facilitator", method, url, data=data)
            checked.append(rule)
            assert response.status_code == 404, (method, url, response.status_code)
    assert len(checked) >= 20


def test_a_receipt_withdraws_only_in_its_own_consultation(world: World) -> None:
    """A receipt code of A typed on B's withdrawal page withdraws nothing (an unknown code)."""
    a_round = max(db.session.merge(world.staff.a).rounds, key=lambda r: r.number)
    sent = db.session.scalars(
        sa.select(Response).where(
            Response.round_id == a_round.id, Response.state == ResponseState.SUBMITTED
        )
    ).first()
    assert sent is not None
    receipt, response_id = sent.receipt_code, sent.id
    url = f"/c/{world.staff.b.slug}/withdraw"
    answer = world.request("participant", "POST", url, data={"receipt": receipt})
    assert answer.status_code == 200  # the form again, with "no sent answers have this code"
    db.session.rollback()
    assert db.session.get(Response, response_id).state == ResponseState.SUBMITTED
