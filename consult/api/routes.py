"""The read-only JSON API under ``/api/v1`` for R, Power BI and notebooks.

Authentication: ``Authorization: Bearer <token>`` only (a personal API token, see
``consult.services.api_tokens``). Cookies are ignored: the blueprint is exempt from CSRF
protection and its requests get a throwaway session (``consult.api``), so no response sets a
cookie. A token acts with its owner's rights: it lists and reads only the consultations its
owner may analyse. A consultation it may not read is 404, exactly like one that does not exist
(a leaked token does not reveal which slugs exist); the API never answers 403 for one.

``/results`` is the JSON that ``consult results SLUG --question CODE ...`` prints for the same
options (``python -m analysis rank`` on the same answers), with the same defaults (no
bootstrap, no seed). ``/exports/<shape>.<fmt>`` is the analyst export of a round's responses,
recorded in the audit log. ``/openapi.json`` (public) describes everything.

Every answer is JSON (exports are files); every error is
``{"error": {"code": ..., "message": ...}}`` with an English message (the API is read by
programs: codes are stable, messages are for people), ``parameter`` naming a query parameter
at fault: 400 a malformed, out-of-range or unknown parameter, 401 no or a bad token (with
``WWW-Authenticate: Bearer``), 404 no such consultation, question, round or export, 405, 409
the answers do not allow it (nobody answered yet, fewer than k respondents match the filters,
the analysis refused them), 422 a well-formed value that does not apply here (a method of
another kind, a language the consultation does not offer, a bootstrap that would take longer
than ``API_RESULTS_MAX_SECONDS``), 429 too many requests
(``Retry-After``; per token ``API_RATE_LIMIT``, per address ``API_ADDRESS_RATE_LIMIT``), 503
the database is unreachable. Routing errors under ``/api/`` are JSON too (``consult.api``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from consult.api import documents
from consult.api.openapi import ALL_METHODS, MAX_ROUND, MAX_TOP_K
from consult.api.openapi import document as openapi_document
from consult.errors import UNAVAILABLE_RETRY_AFTER, is_database_unavailable
from consult.extensions import db, limiter
from consult.models import Consultation, User
from consult.services import api_tokens, exports, permissions, priorities
from consult.services.errors import Forbidden, InvalidState, NotFound, ServiceError
from consult.services.tokens import hash_token
from consult.services.transfer import SLUG_RE

bp = Blueprint("api", __name__, url_prefix="/api/v1")

REALM = 'Bearer realm="consult"'
XLSX_MAX_CELLS = 1_000_000  # about 10 s of writing; larger exports: CSV, or the command line
INTEGER_RE = re.compile(r"-?[0-9]{1,30}")  # whole numbers as JSON writes them (fullmatch)
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
# parameters whose valid values depend on the question: the methods of its kind, and the
# most bootstrap replicates the method allows (priorities.max_bootstrap): 422 when wrong
APPLICABLE = frozenset({"method", "bootstrap"})
RESULT_PARAMETERS = (
    "question",
    "round",
    "method",
    "weighting",
    "bootstrap",
    "seed",
    "top_k",
    "group",
    "district",
    "language",
    "source",
)
PILOT = 30  # bootstrap replicates timed to estimate the cost of a larger bootstrap
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    422: "not_applicable",
    413: "too_large",
    414: "uri_too_long",
    429: "too_many_requests",
    431: "headers_too_large",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answer: HTTP ``status``, a stable ``code`` and an English ``message``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        parameter: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        self.headers = headers or {}


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``payload`` as strict JSON (no NaN), never cached by shared caches."""
    body = json.dumps(documents.plain(payload), ensure_ascii=False, allow_nan=False)
    response = Response(body + "\n", status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.update(headers or {})
    return response


def error_response(error: ApiError) -> Response:
    """The JSON body of an error."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.parameter is not None:
        body["parameter"] = error.parameter
    return json_response({"error": body}, error.status, error.headers)


# --- authentication ------------------------------------------------------------------------------


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ApiError(
            401,
            "unauthorized",
            "send a personal API token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": REALM},
        )
    return credentials.strip()


@bp.before_request
def _authenticate() -> None:
    """Find the token's owner; 401 without a valid token (the OpenAPI document is public)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    presented = _bearer_token()
    token = api_tokens.authenticate_token(db.session, presented)
    if token is None:
        raise ApiError(
            401,
            "invalid_token",
            "the API token is unknown, revoked or belongs to a deactivated account",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    g.api_user = token.user
    db.session.commit()  # last_used_at, written at most once a minute


def _user() -> User:
    return g.api_user


def rate_limit_key() -> str:
    """Requests are counted per presented token (its digest), else per IP address."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return "api-token:" + hash_token(credentials.strip())[:32]
    return "api-ip:" + (request.remote_addr or "unknown")


def rate_limit() -> str:
    """``API_RATE_LIMIT`` (per token), default 120 requests a minute."""
    return str(current_app.config.get("API_RATE_LIMIT", "120/minute"))


def address_rate_limit() -> str:
    """``API_ADDRESS_RATE_LIMIT`` (per IP address, whatever the token), default 600 a minute."""
    return str(current_app.config.get("API_ADDRESS_RATE_LIMIT", "600/minute"))


def _address() -> str:
    return "api-address:" + (request.remote_addr or "unknown")


limiter.limit(rate_limit, key_func=rate_limit_key, scope="api-token")(bp)
limiter.limit(address_rate_limit, key_func=_address, scope="api-address")(bp)


# --- parameters ----------------------------------------------------------------------------------


def _consultation(slug: str) -> Consultation:
    """The consultation ``slug`` if the token's owner may analyse it; 404 otherwise."""
    if not SLUG_RE.match(slug):
        raise NotFound("no such consultation")
    try:
        return permissions.consultation_for(db.session, _user(), slug, permissions.Action.ANALYSE)
    except Forbidden:
        raise NotFound("no such consultation") from None


def _only(*names: str) -> None:
    """400 for a query parameter the endpoint does not know (a typo would otherwise be ignored
    silently: ``bootsrap=1000`` giving results without a bootstrap)."""
    unknown = sorted(set(request.args) - set(names))
    if unknown:
        known = ", ".join(names) if names else "none"
        raise ApiError(
            400,
            "invalid_parameter",
            f"unknown parameter {unknown[0]!r} (parameters: {known})",
            parameter=unknown[0],
        )


def _integer(name: str, low: int | None = None, high: int | None = None) -> int | None:
    """The whole number in query parameter ``name`` (None when absent); 400 when malformed or,
    with ``low``/``high``, out of range (other ranges are the services' to check)."""
    raw = request.args.get(name)
    if raw is None:
        return None
    value = int(raw) if INTEGER_RE.fullmatch(raw) else None
    if value is None or (low is not None and value < low) or (high is not None and value > high):
        within = f" from {low} to {high}" if low is not None and high is not None else ""
        raise ApiError(
            400, "invalid_parameter", f"{name} must be a whole number{within}", parameter=name
        )
    return value


def _language(consultation: Consultation, name: str = "language") -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    if value not in consultation.languages:
        offered = ", ".join(consultation.languages)
        raise ApiError(
            422,
            "not_applicable",
            f"{name} must be one of the consultation's languages: {offered}",
            parameter=name,
        )
    return value


# --- endpoints -----------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API (public)."""
    _only()
    response = json_response(openapi_document(current_app.config["LANGUAGES"]))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/consultations")
def consultations() -> Response:
    """The consultations the token's owner may analyse, newest first."""
    _only()
    user = _user()
    rows = db.session.scalars(permissions.visible_consultations(user)).all()
    readable = [c for c in rows if permissions.can_analyse(user, c)]
    return json_response({"consultations": [documents.consultation_summary(c) for c in readable]})


@bp.get("/consultations/<slug>")
def consultation(slug: str) -> Response:
    """One consultation: settings, languages, objectives, items, groups and questions."""
    _only()
    return json_response(documents.consultation_detail(_consultation(slug)))


@bp.get("/consultations/<slug>/results")
def results(slug: str) -> Response:
    """A priority question's results: what ``consult results`` prints for the same options."""
    _only(*RESULT_PARAMETERS)
    found = _consultation(slug)
    question = request.args.get("question")
    if not question:
        raise ApiError(
            400,
            "invalid_parameter",
            "question (a priority question's code) is required",
            parameter="question",
        )
    method = request.args.get("method")
    if method is not None and method not in ALL_METHODS:
        raise ApiError(
            400,
            "invalid_parameter",
            f"unknown method {method!r} (methods: {', '.join(ALL_METHODS)})",
            parameter="method",
        )
    bootstrap = _integer("bootstrap", 0, priorities.MAX_BOOTSTRAP)
    data = priorities.analysis_frame(
        db.session,
        found,
        question,
        method=method,
        weighting=request.args.get("weighting", "respondent"),
        filters=priorities.Filters(
            groups=tuple(request.args.getlist("group")),
            districts=tuple(request.args.getlist("district")),
            languages=tuple(request.args.getlist("language")),
            sources=tuple(request.args.getlist("source")),
        ),
        bootstrap=0 if bootstrap is None else bootstrap,
        seed=_integer("seed", 0, priorities.MAX_SEED),
        top_k=_integer("top_k", 1, MAX_TOP_K),
        round_number=_integer("round", 1, MAX_ROUND),
    )
    try:
        _check_cost(data)
        payload = data.rank().to_dict()
    except (ValueError, ArithmeticError) as exc:  # as the command line: analysis.InputError, ...
        raise ApiError(409, "analysis_refused", " ".join(str(exc).split())) from None
    return json_response(payload)


def _timed(data: priorities.AnalysisFrame, replicates: int) -> float:
    trial = dataclasses.replace(data, options={**data.options, "bootstrap": replicates})
    start = time.perf_counter()
    trial.rank()
    return time.perf_counter() - start


def _check_cost(data: priorities.AnalysisFrame) -> None:
    """Refuse (422) a bootstrap that would keep the request busy for longer than
    ``API_RESULTS_MAX_SECONDS`` (default 10).

    Only the methods that fit a model again for every replicate (``priorities.SLOW_METHODS``:
    Plackett-Luce, MNL) cost milliseconds a replicate, depending on the data; for them a pilot
    of ``PILOT`` replicates, less the time of the analysis without bootstrap, estimates the cost
    of one. The command line has no such limit."""
    replicates = int(data.options["bootstrap"])
    if replicates <= 2 * PILOT or (data.kind, data.method) not in priorities.SLOW_METHODS:
        return  # the other methods score every replicate at once: microseconds each
    budget = float(current_app.config.get("API_RESULTS_MAX_SECONDS", 10))
    base = min(_timed(data, 0), _timed(data, 0))  # the first run also warms caches up
    each = max(_timed(data, PILOT) - base, 0.0) / PILOT
    estimate = base + each * replicates
    if estimate > budget:
        room = budget - base
        fits = int(room / each) // 10 * 10 if each > 0 and room > 0 else 0
        raise ApiError(
            422,
            "too_costly",
            f"{replicates} bootstrap replicates with {data.method} would take about "
            f"{estimate:.0f} s, more than the API allows ({budget:g} s): ask for about {fits} "
            "or fewer, or run consult results on the server",
            parameter="bootstrap",
        )


@bp.get("/consultations/<slug>/exports/<shape>.<fmt>")
def export(slug: str, shape: str, fmt: str) -> Response:
    """A round's submitted responses as a file (wide, long or codebook; csv, xlsx or sav)."""
    _only("round", "language")
    found = _consultation(slug)
    if shape not in exports.SHAPES:
        raise ApiError(
            404, "not_found", f"unknown export {shape!r}: use {', '.join(exports.SHAPES)}"
        )
    if fmt not in exports.FORMATS or (shape == "codebook" and fmt == "sav"):
        formats = [f for f in exports.FORMATS if not (shape == "codebook" and f == "sav")]
        raise ApiError(
            404, "not_found", f"unknown format {fmt!r} for {shape}: use {', '.join(formats)}"
        )
    exported = exports.export_responses(
        db.session,
        _user(),
        found,
        shape=shape,
        fmt=fmt,
        round_number=_integer("round", 1, MAX_ROUND),
        language=_language(found),
        max_xlsx_cells=XLSX_MAX_CELLS,
    )
    db.session.commit()  # the audit event of the export
    response = Response(exported.data, content_type=exported.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Consult-Rows"] = str(exported.rows)
    return response


# --- errors --------------------------------------------------------------------------------------


def _service_error(error: ServiceError) -> ApiError:
    if isinstance(error, priorities.InvalidParameter):
        if error.field == "question":  # no such priority question (in that round)
            return ApiError(404, "unknown_question", error.message, parameter=error.field)
        if error.field in APPLICABLE:  # well formed, but not for this question
            return ApiError(422, "not_applicable", error.message, parameter=error.field)
        return ApiError(400, "invalid_parameter", error.message, parameter=error.field)
    if isinstance(error, priorities.TooFewRespondents):
        return ApiError(409, "too_few_respondents", error.message)
    if isinstance(error, priorities.NoAnswers):
        return ApiError(409, "no_answers", error.message)
    if isinstance(error, exports.TooLarge):
        return ApiError(409, "export_too_large", error.message)
    if isinstance(error, NotFound):
        return ApiError(404, "not_found", error.message)
    if isinstance(error, Forbidden):
        return ApiError(403, "forbidden", error.message)
    if isinstance(error, InvalidState):
        return ApiError(409, "conflict", error.message)
    return ApiError(400, "bad_request", error.message)


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection may be gone already
        current_app.logger.warning("api: rollback failed")


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    _rollback()
    return error_response(error)


@bp.errorhandler(ServiceError)
def _refused(error: ServiceError) -> Response:
    _rollback()
    return error_response(_service_error(error))


def http_error(error: HTTPException) -> Response:
    """Any HTTP error (404, 405, 429, ...) as JSON, keeping its headers (Allow, Retry-After)."""
    status = error.code or 500
    if status >= 500:
        _rollback()
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    if status == 401:
        headers.setdefault("WWW-Authenticate", REALM)
    message = error.description or error.name
    if isinstance(error, InternalServerError):
        message = "an unexpected error happened on our side and has been logged"
    return error_response(
        ApiError(status, STATUS_CODES.get(status, "error"), str(message), headers=headers)
    )


@bp.errorhandler(DBAPIError)
def _database_error(error: DBAPIError) -> Response:
    _rollback()
    if not is_database_unavailable(error):
        raise error
    current_app.logger.warning("api: database unavailable: %s", type(error).__name__)
    return error_response(
        ApiError(
            503,
            "unavailable",
            "the database cannot be reached right now: try again shortly",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    )


bp.register_error_handler(HTTPException, http_error)
