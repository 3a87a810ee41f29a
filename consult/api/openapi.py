"""The OpenAPI 3.1 document of the JSON API, served at ``/api/v1/openapi.json``.

Written by hand, next to the routes it describes (``routes.py``) and the documents they return
(``documents.py`` and ``consult.services.priorities``); ``tests/api`` runs schemathesis
against it, so every status, parameter and schema here must be what the API really does.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import Any

import analysis
from consult import __version__
from consult.services import exports, priorities

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"
MAX_ROUND = 1_000_000
MAX_TOP_K = 100  # as consult.services.priorities checks it


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **extra}


NUMBER = {"type": "number"}
NUMBER_OR_NULL = {"type": ["number", "null"]}
INTEGER = {"type": "integer"}
INTEGER_OR_NULL = {"type": ["integer", "null"]}
STRING = {"type": "string"}
STRING_OR_NULL = {"type": ["string", "null"]}
BOOLEAN = {"type": "boolean"}
STRINGS = {"type": "array", "items": STRING}
TIME = {"type": "string", "format": "date-time"}
TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
TRANSLATED = {
    "type": "object",
    "description": "A text in each language of the consultation, keyed by language code.",
    "additionalProperties": {"type": "string"},
}


#: Every registered ranking method, of every kind (which apply depends on the question).
ALL_METHODS = tuple(sorted({m for kind in analysis.KINDS for m in analysis.methods_for(kind)}))


def _schemas() -> dict[str, Any]:
    agreement = _nullable(
        _object(
            ["kendall_w", "chi2", "df", "p_value"],
            {
                "kendall_w": NUMBER_OR_NULL,
                "chi2": NUMBER_OR_NULL,
                "df": NUMBER_OR_NULL,
                "p_value": NUMBER_OR_NULL,
            },
        )
    )
    analysis_item = _object(
        ["item", "score", "rank", "ci_low", "ci_high", "rank_ci_low", "rank_ci_high", "p_top_k"],
        {
            "item": STRING,
            "score": NUMBER_OR_NULL,
            "rank": NUMBER_OR_NULL,
            "ci_low": NUMBER_OR_NULL,
            "ci_high": NUMBER_OR_NULL,
            "rank_ci_low": NUMBER_OR_NULL,
            "rank_ci_high": NUMBER_OR_NULL,
            "p_top_k": NUMBER_OR_NULL,
        },
    )
    return {
        "Error": _object(
            ["error"],
            {
                "error": _object(
                    ["code", "message"],
                    {
                        "code": {
                            "type": "string",
                            "description": "Stable, machine-readable: unauthorized, "
                            "invalid_token, invalid_parameter, not_found, unknown_question, "
                            "not_applicable, no_answers, too_few_respondents, conflict, "
                            "method_not_allowed, too_many_requests, unavailable, ...",
                        },
                        "message": {"type": "string", "description": "English, for people."},
                        "parameter": {
                            "type": "string",
                            "description": "The query parameter at fault, when there is one.",
                        },
                    },
                    additionalProperties=False,
                )
            },
            additionalProperties=False,
        ),
        "Translated": TRANSLATED,
        "ConsultationSummary": _object(
            [
                "slug",
                "title",
                "state",
                "languages",
                "default_language",
                "anonymity",
                "min_group_size",
                "is_demo",
                "opens_at",
                "closes_at",
                "created_at",
                "updated_at",
                "links",
            ],
            {
                "slug": {"type": "string", "pattern": SLUG_PATTERN},
                "title": _ref("Translated"),
                "state": {"enum": ["draft", "open", "closed", "archived"]},
                "languages": STRINGS,
                "default_language": STRING,
                "anonymity": {"enum": ["named", "confidential", "anonymous"]},
                "min_group_size": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "k: groups with fewer respondents are never shown.",
                },
                "is_demo": BOOLEAN,
                "opens_at": TIME_OR_NULL,
                "closes_at": TIME_OR_NULL,
                "created_at": TIME,
                "updated_at": TIME,
                "links": _object(["self", "results"], {"self": STRING, "results": STRING}),
            },
        ),
        "ConsultationList": _object(
            ["consultations"],
            {"consultations": {"type": "array", "items": _ref("ConsultationSummary")}},
        ),
        "Question": _object(
            [
                "code",
                "round",
                "section",
                "type",
                "required",
                "text",
                "help",
                "settings",
                "analysis_kind",
                "methods",
                "options",
                "items",
            ],
            {
                "code": STRING,
                "round": INTEGER,
                "section": STRING,
                "type": STRING,
                "required": BOOLEAN,
                "text": _ref("Translated"),
                "help": _ref("Translated"),
                "settings": {"type": "object"},
                "analysis_kind": {
                    "anyOf": [{"enum": list(analysis.KINDS)}, {"type": "null"}],
                    "description": "Set for priority questions (results can be asked for).",
                },
                "methods": {
                    "type": "array",
                    "items": STRING,
                    "description": "The ranking methods of a priority question; the first "
                    "is the default.",
                },
                "options": {
                    "type": "array",
                    "items": _object(
                        ["code", "value", "label"],
                        {"code": STRING, "value": NUMBER_OR_NULL, "label": _ref("Translated")},
                    ),
                },
                "items": {
                    "type": "array",
                    "items": STRING,
                    "description": "Codes of the items the question asks about.",
                },
            },
        ),
        "Consultation": {
            "allOf": [
                _ref("ConsultationSummary"),
                _object(
                    [
                        "description",
                        "organiser",
                        "open_link",
                        "objectives",
                        "items",
                        "stakeholder_groups",
                        "rounds",
                        "questions",
                    ],
                    {
                        "description": _ref("Translated"),
                        "organiser": _ref("Translated"),
                        "open_link": BOOLEAN,
                        "objectives": {
                            "type": "array",
                            "items": _object(
                                ["code", "title"], {"code": STRING, "title": _ref("Translated")}
                            ),
                        },
                        "items": {
                            "type": "array",
                            "items": _object(
                                ["code", "kind", "objective", "label", "description"],
                                {
                                    "code": STRING,
                                    "kind": {"enum": ["action", "challenge"]},
                                    "objective": STRING_OR_NULL,
                                    "label": _ref("Translated"),
                                    "description": _ref("Translated"),
                                },
                            ),
                        },
                        "stakeholder_groups": {
                            "type": "array",
                            "items": _object(
                                ["code", "name", "target_share"],
                                {
                                    "code": STRING,
                                    "name": _ref("Translated"),
                                    "target_share": NUMBER_OR_NULL,
                                },
                            ),
                        },
                        "rounds": {
                            "type": "array",
                            "items": _object(
                                ["number", "state", "title", "opens_at", "closes_at"],
                                {
                                    "number": INTEGER,
                                    "state": {"enum": ["draft", "open", "closed"]},
                                    "title": _ref("Translated"),
                                    "opens_at": TIME_OR_NULL,
                                    "closes_at": TIME_OR_NULL,
                                },
                            ),
                        },
                        "questions": {"type": "array", "items": _ref("Question")},
                    },
                ),
            ]
        },
        "Agreement": agreement,
        "RankedItem": analysis_item,
        "Results": _object(
            [
                "kind",
                "method",
                "weights",
                "n_respondents",
                "n_effective",
                "n_groups",
                "items",
                "agreement",
                "consistency",
                "groups",
                "group_differences",
                "top_k",
                "confidence",
                "bootstrap",
                "seed",
                "group_correlations",
            ],
            {
                "kind": {"enum": list(analysis.KINDS)},
                "method": {"enum": list(ALL_METHODS)},
                "weights": {"enum": list(priorities.WEIGHTINGS)},
                "n_respondents": INTEGER,
                "n_effective": NUMBER_OR_NULL,
                "n_groups": INTEGER,
                "items": {
                    "type": "array",
                    "items": _ref("RankedItem"),
                    "description": "By rank, then item code; equal scores share a rank "
                    "(1, 2, 2, 4). Intervals and p_top_k need a bootstrap.",
                },
                "agreement": _ref("Agreement"),
                "consistency": _nullable(
                    _object(
                        ["lambda_max", "ci", "cr"],
                        {"lambda_max": NUMBER_OR_NULL, "ci": NUMBER_OR_NULL, "cr": NUMBER_OR_NULL},
                        description="AHP only.",
                    )
                ),
                "groups": _nullable(
                    {
                        "type": "object",
                        "description": "Each stakeholder group's own ranking, by group code "
                        "('unknown': no group stated); groups with fewer than the "
                        "consultation's min_group_size respondents are suppressed: no figures.",
                        "additionalProperties": _object(
                            ["n", "suppressed", "items", "agreement"],
                            {
                                "n": INTEGER_OR_NULL,
                                "suppressed": BOOLEAN,
                                "items": _nullable({"type": "array", "items": _ref("RankedItem")}),
                                "agreement": _ref("Agreement"),
                            },
                        ),
                    }
                ),
                "group_differences": _nullable(
                    {
                        "type": "array",
                        "items": _object(
                            ["item", "statistic", "p_value", "q_value", "consensus", "polarising"],
                            {
                                "item": STRING,
                                "statistic": NUMBER_OR_NULL,
                                "p_value": NUMBER_OR_NULL,
                                "q_value": NUMBER_OR_NULL,
                                "consensus": BOOLEAN,
                                "polarising": BOOLEAN,
                            },
                        ),
                    }
                ),
                "top_k": INTEGER,
                "confidence": NUMBER,
                "bootstrap": INTEGER,
                "seed": INTEGER_OR_NULL,
                "group_correlations": _nullable(
                    {
                        "type": "array",
                        "items": _object(
                            ["group_a", "group_b", "tau", "p_value"],
                            {
                                "group_a": STRING,
                                "group_b": STRING,
                                "tau": NUMBER_OR_NULL,
                                "p_value": NUMBER_OR_NULL,
                            },
                        ),
                    }
                ),
            },
            description="What consult results (and python -m analysis rank on the same "
            "answers) prints for the same options.",
        ),
    }


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


def _responses() -> dict[str, Any]:
    return {
        "BadRequest": _error(
            "A query parameter is malformed, out of range or unknown (see error.parameter)."
        ),
        "Unauthorized": _error(
            "No token, or a token that is unknown, revoked or whose owner is deactivated.",
            {
                "WWW-Authenticate": {
                    "required": True,
                    "schema": {"type": "string", "pattern": "^Bearer "},
                }
            },
        ),
        "NotFound": _error(
            "No such consultation, or one the token's owner may not read (the two are not "
            "told apart); no such question, round or export."
        ),
        "NotApplicable": _error(
            "A well-formed value that does not apply here: a method of another kind of "
            "question, a language the consultation is not offered in, or a bootstrap that "
            "would take longer than the server allows (code too_costly: ask for fewer "
            "replicates; the message suggests how many)."
        ),
        "Conflict": _error(
            "The answers do not allow it: nobody has answered yet, fewer than k respondents "
            "match the filters, the analysis refused the answers, the export is too large."
        ),
        "TooManyRequests": _error(
            "Too many requests for this token or address.",
            {"Retry-After": {"required": True, "schema": {"type": "string"}}},
        ),
        "Unavailable": _error(
            "The database cannot be reached; try again later.",
            {"Retry-After": {"required": True, "schema": {"type": "string"}}},
        ),
    }


def _standard(*codes: str) -> dict[str, Any]:
    names = {
        "400": "BadRequest",
        "401": "Unauthorized",
        "404": "NotFound",
        "409": "Conflict",
        "422": "NotApplicable",
        "429": "TooManyRequests",
        "503": "Unavailable",
    }
    return {code: {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


def _query(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description, **extra}


def _array(name: str, items: dict[str, Any], description: str) -> dict[str, Any]:
    return _query(
        name,
        {"type": "array", "items": items},
        description,
        style="form",
        explode=True,
    )


SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": SLUG_PATTERN},
    "description": "The consultation's slug (see GET /api/v1/consultations).",
    "example": "migration-action-plan",
}


def _language(languages: tuple[str, ...], what: str) -> dict[str, Any]:
    return _query(
        "language",
        {"type": "string", "enum": list(languages)},
        f"{what}: one of the consultation's languages (422 for another language of the "
        "platform). Default: the consultation's default language.",
    )


ROUND = _query(
    "round",
    {"type": "integer", "minimum": 1, "maximum": MAX_ROUND},
    "The round (Delphi). Results: default the latest round asking the question; exports: "
    "the latest round that is not a draft.",
)


def _operations(languages: tuple[str, ...]) -> dict[str, Any]:
    common = _standard("401", "429", "503")
    return {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document of this API.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_standard("400", "429", "503"),
                },
            }
        },
        "/api/v1/consultations": {
            "get": {
                "operationId": "listConsultations",
                "summary": "The consultations whose results the token's owner may read",
                "description": "Newest first. Admins see every consultation; other staff "
                "the consultations they are members of.",
                "responses": {
                    "200": {
                        "description": "The consultations.",
                        "content": {"application/json": {"schema": _ref("ConsultationList")}},
                    },
                    **_standard("400"),
                    **common,
                },
            }
        },
        "/api/v1/consultations/{slug}": {
            "get": {
                "operationId": "getConsultation",
                "summary": "A consultation: settings, languages, lists and questionnaire",
                "parameters": [SLUG],
                "responses": {
                    "200": {
                        "description": "The consultation.",
                        "content": {"application/json": {"schema": _ref("Consultation")}},
                    },
                    **_standard("400", "404"),
                    **common,
                },
            }
        },
        "/api/v1/consultations/{slug}/results": {
            "get": {
                "operationId": "getResults",
                "summary": "The ranking of a priority question: the JSON of consult results",
                "description": "Computed by the analysis library on the submitted answers, "
                "exactly as `consult results SLUG --question CODE ...` prints it for the same "
                "options (and `python -m analysis rank` for the same answers). Stakeholder "
                "groups with fewer than min_group_size respondents are suppressed, and filters "
                "that leave fewer respondents are refused (409). With a seed, the same "
                "parameters always give the same numbers.",
                "parameters": [
                    SLUG,
                    _query(
                        "question",
                        {"type": "string", "minLength": 1, "maxLength": 64},
                        "Code of a priority question (a question whose analysis_kind is set).",
                        required=True,
                        example="action_priority",
                    ),
                    ROUND,
                    _query(
                        "method",
                        {"type": "string", "enum": list(ALL_METHODS)},
                        "A method of the question's kind (its methods list; 422 for "
                        "another). Default: the first.",
                    ),
                    _query(
                        "weighting",
                        {
                            "type": "string",
                            "enum": list(priorities.WEIGHTINGS),
                            "default": "respondent",
                        },
                        "respondent: everybody counts once; equal-groups: every stakeholder "
                        "group has the same total weight.",
                    ),
                    _query(
                        "bootstrap",
                        {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": priorities.MAX_BOOTSTRAP,
                            "default": 0,
                        },
                        "Bootstrap replicates for the intervals (0: none). Methods that fit a "
                        "model per replicate allow fewer ("
                        + ", ".join(
                            f"{method}: {priorities.max_bootstrap(kind, method)}"
                            for kind, method in sorted(priorities.SLOW_METHODS)
                        )
                        + "; 422 beyond), and a bootstrap that would take longer than the "
                        "server allows is refused (422, code too_costly).",
                    ),
                    _query(
                        "seed",
                        {"type": "integer", "minimum": 0, "maximum": priorities.MAX_SEED},
                        "Seed of the bootstrap (without one, intervals vary a little from "
                        "call to call).",
                    ),
                    _query(
                        "top_k",
                        {"type": "integer", "minimum": 1, "maximum": MAX_TOP_K},
                        "k of p_top_k, the probability of being among the top k (default 3, "
                        "at most the number of items).",
                    ),
                    _array(
                        "group",
                        STRING,
                        "Keep only these stakeholder groups (codes; 'unknown': no group stated).",
                    ),
                    _array("district", STRING, "Keep only these districts (codes)."),
                    _array(
                        "language",
                        STRING,
                        "Keep only respondents who answered in these languages.",
                    ),
                    _array(
                        "source",
                        {"type": "string", "enum": list(priorities.SOURCES)},
                        "Keep only answers given online or in workshops.",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The results.",
                        "content": {"application/json": {"schema": _ref("Results")}},
                    },
                    **_standard("400", "404", "409", "422"),
                    **common,
                },
            }
        },
        "/api/v1/consultations/{slug}/exports/{shape}.{format}": {
            "get": {
                "operationId": "exportResponses",
                "summary": "A round's submitted responses as a file",
                "description": "wide: a row per response; long: a row per stored answer; "
                "codebook: the wide export's variables (csv or xlsx only). Identities are "
                "exported for named consultations only, never e-mail addresses or receipt "
                "codes. Each export is recorded in the audit log.",
                "parameters": [
                    SLUG,
                    {
                        "name": "shape",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(exports.SHAPES)},
                    },
                    {
                        "name": "format",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(exports.FORMATS)},
                        "description": "csv (UTF-8 with BOM), xlsx or sav (SPSS; not for "
                        "the codebook: 404).",
                    },
                    ROUND,
                    _language(languages, "Language of value labels and question texts"),
                ],
                "responses": {
                    "200": {
                        "description": "The file (Content-Disposition: attachment).",
                        "headers": {
                            "Content-Disposition": {
                                "required": True,
                                "schema": {"type": "string", "pattern": "^attachment; "},
                            },
                            "X-Consult-Rows": {
                                "required": True,
                                "schema": {"type": "string", "pattern": "^[0-9]+$"},
                                "description": "Rows of data in the file.",
                            },
                        },
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {
                                    "type": "string",
                                    "contentMediaType": "application/"
                                    "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                }
                            },
                            "application/x-spss-sav": {
                                "schema": {
                                    "type": "string",
                                    "contentMediaType": "application/x-spss-sav",
                                }
                            },
                        },
                    },
                    **_standard("400", "404", "409", "422"),
                    **common,
                },
            }
        },
    }


def _build(languages: tuple[str, ...]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Consult API",
            "version": f"1 ({__version__})",
            "summary": "Read-only access for R, Power BI and notebooks.",
            "description": "Send a personal API token (created on the API tokens page of the "
            "workspace, /manage/api-tokens) as `Authorization: Bearer <token>`; cookies are "
            "ignored. A token acts with its owner's rights: it reads the consultations its "
            "owner may analyse, and any other consultation is 404, like one that does not "
            'exist. Errors are JSON objects {"error": {"code", "message", "parameter"?}} with '
            "English messages; unknown query parameters are refused (400). Requests are "
            "limited per token and per address (429 with Retry-After).",
        },
        "security": [{"bearerAuth": []}],
        "paths": _operations(languages),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token: cst_ followed by 43 characters.",
                }
            },
            "schemas": _schemas(),
            "responses": _responses(),
        },
    }


@functools.cache
def _built(languages: tuple[str, ...]) -> dict[str, Any]:
    return _build(languages)


def document(languages: Sequence[str]) -> dict[str, Any]:
    """A fresh copy of the document for a platform offering ``languages`` (its ``LANGUAGES``);
    built once per list of languages, callers may change their copy."""
    return copy.deepcopy(_built(tuple(languages)))
