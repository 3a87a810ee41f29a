"""Analyst routes: exports of responses (wide, long, codebook) and of results tables.

``GET /exports`` lists what can be downloaded (``?round=N&labels=L`` choose the round and the
language of labels); ``GET /exports/<shape>.<fmt>`` and ``GET /exports/results/<question>.<fmt>``
download. Every download is recorded in the audit log. XLSX is refused in the browser beyond
``BROWSER_XLSX_CELLS`` cells (openpyxl writes about 100,000 cells a second): CSV, or the
command line with its progress bar, handle any size.
"""

from __future__ import annotations

import io

from flask import abort, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user

from consult.analyst.routes import bp, load
from consult.extensions import db
from consult.i18n import language_name
from consult.services import exports
from consult.services.errors import InvalidState

BROWSER_XLSX_CELLS = 250_000  # about 2.5 s of openpyxl on an idle 2-core machine


def _round() -> int | None:
    """The round asked for in the query string (None: the latest)."""
    return request.args.get("round", type=int)


def _language() -> str | None:
    """The language of labels asked for (``?labels=``; ``?lang=`` is the page's language)."""
    return request.args.get("labels") or None


def _page(slug: str, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    consultation = load(slug)
    overview = exports.export_overview(db.session, current_user, consultation, _round())
    language = _language()
    return (
        render_template(
            "analyst/exports.html",
            consultation={
                "slug": consultation.slug,
                "title": dict(consultation.title or {}),
                "default_language": consultation.default_language,
            },
            overview=overview,
            language_names={code: language_name(code) for code in overview.languages},
            language=language if language in overview.languages else overview.language,
            shapes=["wide", "long"],
            formats=list(exports.FORMATS),
            result_formats=list(exports.RESULT_FORMATS),
            error=error,
        ),
        status,
    )


@bp.get("/exports")
def exports_page(slug: str) -> ResponseReturnValue:
    """What can be exported: responses (wide, long), the codebook, results tables."""
    return _page(slug)


def _download(exported: exports.ExportFile) -> ResponseReturnValue:
    db.session.commit()  # the audit event
    response = send_file(
        io.BytesIO(exported.data),
        mimetype=exported.mimetype,
        as_attachment=True,
        download_name=exported.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/exports/<shape>.<fmt>")
def export_responses(slug: str, shape: str, fmt: str) -> ResponseReturnValue:
    """Download the round's submitted responses as ``shape`` (wide, long, codebook) in ``fmt``."""
    consultation = load(slug)
    if shape not in exports.SHAPES or fmt not in exports.FORMATS:
        abort(404)
    try:
        exported = exports.export_responses(
            db.session,
            current_user,
            consultation,
            shape=shape,
            fmt=fmt,
            round_number=_round(),
            language=_language(),
            max_xlsx_cells=BROWSER_XLSX_CELLS,
        )
    except InvalidState as error:
        db.session.rollback()
        return _page(slug, error.message, 409)
    return _download(exported)


@bp.get("/exports/results/<question>.<fmt>")
def export_results(slug: str, question: str, fmt: str) -> ResponseReturnValue:
    """Download a priority question's results tables (groups below k suppressed)."""
    consultation = load(slug)
    if fmt not in exports.RESULT_FORMATS:
        abort(404)
    try:
        exported = exports.export_results(
            db.session,
            current_user,
            consultation,
            question,
            fmt,
            method=request.args.get("method") or None,
            weights=request.args.get("weights") or "respondent",
            round_number=_round(),
            language=_language(),
        )
    except InvalidState as error:
        db.session.rollback()
        return _page(slug, error.message, 409)
    return _download(exported)
