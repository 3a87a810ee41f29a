"""The JSON API: bearer tokens only, who sees what, the results and exports it serves, JSON
errors (never HTML, never a session cookie) and rate limits.

Decision: a consultation the token's owner may not read is 404, exactly like one that does not
exist (same body), so a token cannot be used to learn which slugs exist. The API never
answers 403 for a consultation.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from consult.api.openapi import document
from consult.api.routes import RESULT_PARAMETERS
from consult.extensions import db
from consult.models import AuditEvent, User
from consult.services import api_tokens, exports, priorities
from tests.api.conftest import A, B, api_get
from tests.conftest import make_test_app
from tests.facilitator.conftest import ROLES, add_user, fetch, sign_in_as

pytestmark = [pytest.mark.db]

LIST = "/api/v1/consultations"
NOPE = "/api/v1/consultations/no-such-consultation"
RESULTS_A = A + "/results?question=action_priority"


def error_of(response) -> dict[str, Any]:
    assert response.mimetype == "application/json", response.data[:200]
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST, A, RESULTS_A, A + "/exports/wide.csv", NOPE])
def test_a_bearer_token_is_required(app: Flask, staff, tokens, url: str) -> None:
    response = api_get(app, url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="consult"'
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    [
        "Basic YW5hbHlzdDpwYXNzd29yZA==",
        "Bearer",
        "Bearer ",
        "Token cst_abc",
        "Bearer cst_not-a-real-token",
        "Bearer not-even-prefixed",
        "Bearer cst_" + "x" * 5000,
    ],
)
def test_a_bad_authorization_header_is_401(app: Flask, staff, tokens, header: str) -> None:
    response = api_get(app, LIST, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="consult"')
    assert error_of(response)["code"] in ("unauthorized", "invalid_token")


def test_an_unknown_token_is_named_in_www_authenticate(app: Flask, staff, tokens) -> None:
    response = api_get(app, LIST, "cst_" + "A" * 43)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="consult", error="invalid_token"'
    assert error_of(response)["code"] == "invalid_token"


def test_a_revoked_token_stops_working_at_once(app: Flask, staff, tokens) -> None:
    assert api_get(app, LIST, tokens["analyst"]).status_code == 200
    digest = hashlib.sha256(tokens["analyst"].encode()).hexdigest()
    token = next(
        t
        for t in api_tokens.list_tokens(db.session, staff.analyst)
        if db.session.get(api_tokens.ApiToken, t.id).token_hash == digest
    )
    api_tokens.revoke_token(db.session, staff.analyst, token.id)
    db.session.commit()
    response = api_get(app, LIST, tokens["analyst"])
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_a_deactivated_account_s_token_is_401(app: Flask, staff, tokens) -> None:
    staff.analyst.active = False
    db.session.commit()
    assert api_get(app, A, tokens["analyst"]).status_code == 401


def test_a_request_records_when_the_token_was_last_used(app: Flask, staff, tokens) -> None:
    assert api_get(app, LIST, tokens["analyst"]).status_code == 200
    db.session.expire_all()
    [view] = api_tokens.list_tokens(db.session, staff.analyst)
    assert view.last_used_at is not None


def test_cookies_are_ignored_and_never_set(app: Flask, staff, tokens) -> None:
    client = app.test_client()
    sign_in_as(client, staff.analyst)
    assert fetch(app, client, "GET", "/manage/").status_code == 200  # the cookie is good
    signed_in = client.get_cookie("session")
    assert signed_in is not None
    response = fetch(app, client, "GET", LIST + "?lang=ar")
    assert response.status_code == 401  # a staff session grants nothing here
    assert "Set-Cookie" not in response.headers
    for url in (LIST + "?lang=ar", A, RESULTS_A, A + "/exports/long.csv", NOPE, "/api/v1/x"):
        response = fetch(
            app, client, "GET", url, headers={"Authorization": f"Bearer {tokens['analyst']}"}
        )
        assert response.status_code in (200, 400, 404), url  # ?lang= is unknown here: 400
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
    assert client.get_cookie("session").value == signed_in.value


# --- who sees what -------------------------------------------------------------------------------

URLS = {
    "list": LIST,
    "A": A,
    "A results": RESULTS_A,
    "A export": A + "/exports/wide.csv",
    "B": B,
    "B export": B + "/exports/long.csv",
    "nope": NOPE,
}
# status for: anonymous (no token), admin, facilitator of A, facilitator of B, analyst member of
# A, analyst member of nothing
EXPECTED = {
    "list": (401, 200, 200, 200, 200, 200),
    "A": (401, 200, 200, 404, 200, 404),
    "A results": (401, 200, 200, 404, 200, 404),
    "A export": (401, 200, 200, 404, 200, 404),
    "B": (401, 200, 404, 200, 404, 404),
    "B export": (401, 200, 404, 200, 404, 404),
    "nope": (401, 404, 404, 404, 404, 404),
}


@pytest.mark.parametrize("name", sorted(URLS))
def test_matrix(app: Flask, staff, tokens, name: str) -> None:
    got = {}
    for role in ROLES:
        response = api_get(app, URLS[name], tokens.get(role))
        got[role] = response.status_code
        if response.status_code != 200:
            error_of(response)
    assert got == dict(zip(ROLES, EXPECTED[name], strict=True))


def test_a_hidden_consultation_looks_like_a_missing_one(app: Flask, staff, tokens) -> None:
    hidden = api_get(app, A, tokens["outside_analyst"])
    missing = api_get(app, NOPE, tokens["outside_analyst"])
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    for suffix in ("/results?question=action_priority", "/exports/wide.csv"):
        assert (
            api_get(app, A + suffix, tokens["outside_analyst"]).get_json()
            == api_get(app, NOPE + suffix, tokens["outside_analyst"]).get_json()
        )


@pytest.mark.parametrize(
    ("role", "slugs"),
    [
        ("admin", ["question-types", "migration-action-plan"]),
        ("facilitator", ["migration-action-plan"]),
        ("other_facilitator", ["question-types"]),
        ("analyst", ["migration-action-plan"]),
        ("outside_analyst", []),
    ],
)
def test_the_list_holds_exactly_the_readable_consultations(
    app: Flask, staff, tokens, role: str, slugs: list[str]
) -> None:
    body = api_get(app, LIST, tokens[role]).get_json()
    assert sorted(c["slug"] for c in body["consultations"]) == sorted(slugs)
    for entry in body["consultations"]:
        assert entry["links"]["self"] == f"/api/v1/consultations/{entry['slug']}"


def test_a_consultation_describes_its_settings_lists_and_questions(
    app: Flask, staff, tokens
) -> None:
    response = api_get(app, A, tokens["analyst"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    a = staff.a
    assert body["slug"] == a.slug
    assert body["title"] == a.title
    assert body["languages"] == ["tr", "en", "ar"]
    assert body["min_group_size"] == a.min_group_size
    assert [o["code"] for o in body["objectives"]] == [o.code for o in a.objectives]
    assert [i["code"] for i in body["items"]] == [i.code for i in a.items]
    assert len(body["items"]) == 22  # 16 actions and 6 challenges
    assert [g["code"] for g in body["stakeholder_groups"]] == [g.code for g in a.stakeholder_groups]
    questions = {q["code"]: q for q in body["questions"]}
    assert list(questions) == [
        "stakeholder_group",
        "district",
        "challenge_severity",
        "action_priority",
        "top5_actions",
        "comments",
    ]
    assert questions["top5_actions"]["analysis_kind"] == "ranking"
    assert questions["top5_actions"]["methods"][0] == "borda"
    assert questions["comments"]["analysis_kind"] is None
    assert len(questions["action_priority"]["items"]) == 16


# --- results -------------------------------------------------------------------------------------

RESULT_CASES = [
    ("action_priority", {}),
    (
        "action_priority",
        {"method": "median", "weighting": "equal-groups", "bootstrap": 200, "seed": 7, "top_k": 2},
    ),
    ("top5_actions", {"method": "schulze", "bootstrap": 50, "seed": 3}),
    ("challenge_severity", {"language": ["tr", "en"], "method": "top-box"}),
]


def _cli_args(question: str, params: dict[str, Any]) -> list[str]:
    args = ["results", "migration-action-plan", "--question", question]
    names = {"top_k": "--top-k"}
    for key, value in params.items():
        for one in value if isinstance(value, list) else [value]:
            args += [names.get(key, f"--{key}"), str(one)]
    return args


@pytest.mark.parametrize(("question", "params"), RESULT_CASES)
def test_results_are_the_json_of_consult_results(
    app: Flask, staff, tokens, question: str, params: dict[str, Any]
) -> None:
    response = api_get(
        app, A + "/results", tokens["analyst"], query_string={"question": question, **params}
    )
    assert response.status_code == 200, response.data[:300]
    body = response.get_json()
    cli = app.test_cli_runner().invoke(args=_cli_args(question, params))
    assert cli.exit_code == 0, cli.output
    assert body == json.loads(cli.output)
    frame = priorities.analysis_frame(
        db.session,
        staff.a,
        question,
        method=params.get("method"),
        weighting=params.get("weighting", "respondent"),
        filters=priorities.Filters(languages=tuple(params.get("language", ()))),
        bootstrap=params.get("bootstrap", 0),
        seed=params.get("seed"),
        top_k=params.get("top_k"),
    )
    assert body == json.loads(json.dumps(frame.rank().to_dict()))
    assert body["n_respondents"] > 0
    assert body["bootstrap"] == params.get("bootstrap", 0)
    assert len(body["items"]) > 0


def test_seeded_results_repeat_exactly(app: Flask, staff, tokens) -> None:
    url = RESULTS_A + "&bootstrap=100&seed=11"
    first = api_get(app, url, tokens["analyst"]).get_json()
    assert first["items"][0]["ci_low"] is not None
    assert api_get(app, url, tokens["analyst"]).get_json() == first


@pytest.mark.parametrize(
    ("query", "status", "code", "parameter"),
    [
        ("", 400, "invalid_parameter", "question"),
        ("question=", 400, "invalid_parameter", "question"),
        ("question=nope", 404, "unknown_question", "question"),
        ("question=comments", 404, "unknown_question", "question"),  # text: not a priority
        ("question=action_priority&round=2", 404, "unknown_question", "question"),
        ("question=action_priority&round=0", 400, "invalid_parameter", "round"),
        ("question=action_priority&method=borda", 422, "not_applicable", "method"),
        ("question=action_priority&method=", 400, "invalid_parameter", "method"),
        ("question=action_priority&method=magic", 400, "invalid_parameter", "method"),
        ("question=action_priority&weighting=loudest", 400, "invalid_parameter", "weighting"),
        ("question=action_priority&weighting=", 400, "invalid_parameter", "weighting"),
        ("question=action_priority&bootstrap=abc", 400, "invalid_parameter", "bootstrap"),
        ("question=action_priority&bootstrap=1.5", 400, "invalid_parameter", "bootstrap"),
        ("question=action_priority&bootstrap=%2B5", 400, "invalid_parameter", "bootstrap"),
        ("question=action_priority&bootstrap=%205", 400, "invalid_parameter", "bootstrap"),
        ("question=action_priority&bootstrap=5%0A", 400, "invalid_parameter", "bootstrap"),
        ("question=action_priority&seed=%D9%A3", 400, "invalid_parameter", "seed"),
        ("question=action_priority&bootstrap=2001", 400, "invalid_parameter", "bootstrap"),
        ("question=action_priority&bootstrap=-1", 400, "invalid_parameter", "bootstrap"),
        ("question=action_priority&seed=4294967296", 400, "invalid_parameter", "seed"),
        ("question=action_priority&top_k=0", 400, "invalid_parameter", "top_k"),
        ("question=action_priority&top_k=" + "9" * 40, 400, "invalid_parameter", "top_k"),
        ("question=action_priority&source=telepathy", 400, "invalid_parameter", "source"),
        ("question=action_priority&group=nobody-here", 409, "no_answers", None),
        ("question=action_priority&source=workshop", 409, "no_answers", None),
    ],
)
def test_bad_results_parameters_are_json_errors(
    app: Flask, staff, tokens, query: str, status: int, code: str, parameter: str | None
) -> None:
    response = api_get(app, A + "/results?" + query, tokens["analyst"])
    assert response.status_code == status, response.get_json()
    error = error_of(response)
    assert error["code"] == code
    assert error.get("parameter") == parameter


def test_a_bootstrap_that_would_take_too_long_is_refused(app: Flask, staff, tokens) -> None:
    top5 = A + "/results?question=top5_actions&seed=1"
    slow = priorities.max_bootstrap("ranking", "plackett-luce")
    assert slow < priorities.MAX_BOOTSTRAP
    beyond = api_get(app, f"{top5}&method=plackett-luce&bootstrap={slow + 1}", tokens["analyst"])
    assert beyond.status_code == 422
    assert (error_of(beyond)["code"], error_of(beyond)["parameter"]) == (
        "not_applicable",
        "bootstrap",
    )
    fast = api_get(app, f"{top5}&method=borda&bootstrap={slow + 1}", tokens["analyst"])
    assert fast.status_code == 200
    app.config["API_RESULTS_MAX_SECONDS"] = 0.5  # Plackett-Luce: about 18 ms a replicate here
    response = api_get(app, f"{top5}&method=plackett-luce&bootstrap={slow}", tokens["analyst"])
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["parameter"]) == ("too_costly", "bootstrap")
    suggested = int(re.search(r"ask for about (\d+) or fewer", error["message"]).group(1))
    assert suggested < slow
    app.config["API_RESULTS_MAX_SECONDS"] = 1e-9
    slow_url = top5 + "&method=plackett-luce&bootstrap="
    assert api_get(app, slow_url + "61", tokens["analyst"]).status_code == 422
    assert api_get(app, slow_url + "60", tokens["analyst"]).status_code == 200  # no pilot
    fast_url = top5 + f"&method=schulze&bootstrap={priorities.MAX_BOOTSTRAP}"
    assert api_get(app, fast_url, tokens["analyst"]).status_code == 200  # vectorised: no limit


def test_filters_leaving_fewer_than_k_respondents_are_refused(app: Flask, staff, tokens) -> None:
    frame = priorities.analysis_frame(db.session, staff.a, "action_priority").respondents
    sizes = frame.drop_duplicates("respondent")["district"].value_counts()
    small = sizes[sizes < staff.a.min_group_size]
    assert not small.empty, "the demo should have a district with few respondents"
    response = api_get(app, RESULTS_A + f"&district={small.index[0]}", tokens["analyst"])
    assert response.status_code == 409
    assert error_of(response)["code"] == "too_few_respondents"


def test_a_question_nobody_answered_is_409(app: Flask, staff, tokens) -> None:
    response = api_get(app, B + "/results?question=ranking", tokens["admin"])
    assert response.status_code == 409
    assert error_of(response) == {
        "code": "no_answers",
        "message": "nobody has answered this question yet",
    }


# --- exports -------------------------------------------------------------------------------------


def test_an_export_is_the_service_s_file_and_is_audited(app: Flask, staff, tokens) -> None:
    response = api_get(app, A + "/exports/wide.csv?language=en", tokens["analyst"])
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="migration-action-plan-round1-wide.csv"'
    )
    assert response.headers["X-Consult-Rows"] == "60"
    expected = exports.export_responses(
        db.session, None, staff.a, shape="wide", fmt="csv", language="en"
    )
    db.session.rollback()
    assert response.data == expected.data
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "export.responses")
    ).all()
    assert [(e.actor_id, e.consultation_id) for e in events] == [(staff.analyst.id, staff.a.id)]
    assert events[0].details["format"] == "csv"


@pytest.mark.parametrize(
    ("path", "mimetype", "magic"),
    [
        ("long.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("wide.sav", "application/x-spss-sav", b"$FL2"),
        ("codebook.csv", "text/csv", b"\xef\xbb\xbf"),
    ],
)
def test_every_format_is_served(
    app: Flask, staff, tokens, path: str, mimetype: str, magic: bytes
) -> None:
    response = api_get(app, A + "/exports/" + path, tokens["analyst"])
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.data.startswith(magic)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("codebook.sav", 404, "not_found"),
        ("everything.csv", 404, "not_found"),
        ("wide.pdf", 404, "not_found"),
        ("wide.csv?round=7", 404, "not_found"),
        ("wide.csv?round=x", 400, "invalid_parameter"),
        ("wide.csv?language=de", 422, "not_applicable"),
    ],
)
def test_bad_exports_are_json_errors(
    app: Flask, staff, tokens, path: str, status: int, code: str
) -> None:
    response = api_get(app, A + "/exports/" + path, tokens["analyst"])
    assert response.status_code == status
    assert error_of(response)["code"] == code


# --- never HTML ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/nothing-here", 404),
        ("GET", "/api/v2/consultations", 404),
        ("GET", LIST + "/", 404),
        ("POST", LIST, 405),
        ("DELETE", A, 405),
        ("PUT", A + "/results", 405),
    ],
)
def test_routing_errors_under_api_are_json(
    app: Flask, staff, tokens, method: str, url: str, status: int
) -> None:
    client = app.test_client(use_cookies=False)
    response = fetch(
        app,
        client,
        method,
        url,
        headers={"Accept": "text/html", "Authorization": f"Bearer {tokens['analyst']}"},
    )
    assert response.status_code == status
    error_of(response)
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_pages_outside_the_api_keep_their_html_errors(app: Flask, staff) -> None:
    response = fetch(
        app, app.test_client(), "GET", "/no-such-page", headers={"Accept": "text/html"}
    )
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "url",
    [
        A + "%00",
        "/api/v1/consultations/" + "a" * 5000,
        "/api/v1/consultations/%C3%BC%C4%B1",
        RESULTS_A + "%00&bootstrap=0",
        RESULTS_A + "&group=%00&district=%F0%9F%92%A5",
        A + "/results?question=" + "q" * 10000,
        A + "/exports/wide.csv?round=%00",
        A + "/exports/%00.csv",
    ],
)
def test_hostile_input_is_never_a_server_error(app: Flask, staff, tokens, url: str) -> None:
    response = api_get(app, url, tokens["admin"])
    assert 400 <= response.status_code < 500
    error_of(response)


# --- rate limits ---------------------------------------------------------------------------------


def test_requests_are_limited_per_token(migrated_url: str) -> None:
    app = make_test_app(
        migrated_url,
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={"argon2__rounds": 1, "argon2__memory_cost": 64},
        API_RATE_LIMIT="3/minute",
    )
    with app.app_context():
        try:
            plain = {}
            for email in ("one@example.org", "two@example.org"):
                user: User = add_user(email, "analyst")
                plain[email] = api_tokens.create_token(db.session, user, "limits")[1]
            db.session.commit()
            first = plain["one@example.org"]
            assert [api_get(app, LIST, first).status_code for _ in range(3)] == [200] * 3
            blocked = api_get(app, LIST, first)
            assert blocked.status_code == 429
            assert int(blocked.headers["Retry-After"]) > 0
            assert error_of(blocked)["code"] == "too_many_requests"
            assert api_get(app, LIST, plain["two@example.org"]).status_code == 200
        finally:
            db.session.remove()
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())


def test_requests_are_limited_per_address_whatever_the_token(migrated_url: str) -> None:
    app = make_test_app(migrated_url, API_ADDRESS_RATE_LIMIT="4/minute")
    with app.app_context():
        statuses = [api_get(app, LIST, f"cst_guess{i}").status_code for i in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        other = api_get(app, LIST, "cst_guess", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 401


# --- the OpenAPI document ------------------------------------------------------------------------


def test_the_openapi_document_is_public_and_the_one_tested(app: Flask) -> None:
    response = api_get(app, "/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.get_json()
    assert served == json.loads(json.dumps(document(app.config["LANGUAGES"])))
    assert served["openapi"] == "3.1.0"
    assert served["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_document_describes_exactly_the_routes(app: Flask) -> None:
    rules = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, rule.rule
            path = rule.rule.replace("<fmt>", "{format}")
            for name in rule.arguments:
                path = path.replace(f"<{name}>", "{" + name + "}")
            rules.add(path)
    documented = document(app.config["LANGUAGES"])["paths"]
    assert rules == set(documented)
    queries = {
        "/api/v1/consultations/{slug}/results": set(RESULT_PARAMETERS),
        "/api/v1/consultations/{slug}/exports/{shape}.{format}": {"round", "language"},
    }
    for path, item in documented.items():
        assert set(item) == {"get"}, path
        parameters = item["get"].get("parameters", [])
        in_path = {p["name"] for p in parameters if p["in"] == "path"}
        assert in_path == set(path.replace("}", "{").split("{")[1::2]), path
        assert {p["name"] for p in parameters if p["in"] == "query"} == queries.get(path, set())
        assert {p["in"] for p in parameters} <= {"path", "query"}, path


@pytest.mark.parametrize(
    "url",
    [LIST + "?x=1", A + "?lang=en", RESULTS_A + "&bootsrap=1000", A + "/exports/wide.csv?rounds=1"],
)
def test_unknown_parameters_are_refused(app: Flask, staff, tokens, url: str) -> None:
    response = api_get(app, url, tokens["analyst"])
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_parameter"
    assert error["parameter"] in ("x", "lang", "bootsrap", "rounds")
    assert api_get(app, "/api/v1/openapi.json?x=1").status_code == 400
