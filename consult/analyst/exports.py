"""Analyst routes: exports of responses (wide, long, codebook) and of results tables.

``GET /exports`` lists what can be downloaded (``?round=N&labels=L`` choose the round and the
language of labels); ``GET /exports/<shape>.<fmt>`` and ``GET /exports/results/<question>.<fmt>``
download. Every download is recorded in the audit log. An XLSX beyond ``BROWSER_XLSX_CELLS``
cells (openpyxl writes about 100,000 cells a second), or a CSV or SAV beyond ``BROWSER_CELLS``,
is not made inside the request: the page
offers to prepare it as a background job (``POST /exports/<shape>.<fmt>/background``) whose
progress page hands over the file when it is ready.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from consult import jobs as runner
from consult.analyst.routes import bp, load
from consult.extensions import db
from consult.i18n import language_name
from consult.models import Consultation, User
from consult.services import audit, exports, jobs
from consult.services.errors import InvalidState

BROWSER_XLSX_CELLS = 250_000  # about 2.5 s of openpyxl on an idle 2-core machine
BROWSER_CELLS = 2_000_000  # CSV and SAV: about 2.5 s to read and write on the same machine


def _round() -> int | None:
    """The round asked for in the query string (None: the latest)."""
    return request.args.get("round", type=int)


def _language() -> str | None:
    """The language of labels asked for (``?labels=``; ``?lang=`` is the page's language)."""
    return request.args.get("labels") or None


def _page(
    slug: str,
    error: str | None = None,
    status: int = 200,
    background: str | None = None,
) -> ResponseReturnValue:
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
            background=background,
            form=FlaskForm(formdata=None),
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
            max_cells=BROWSER_CELLS,
        )
    except exports.TooLarge as error:
        db.session.rollback()
        target = url_for(".export_in_background", slug=slug, shape=shape, fmt=fmt, **_query())
        return _page(slug, error.message, 409, background=target)
    except InvalidState as error:
        db.session.rollback()
        return _page(slug, error.message, 409)
    return _download(exported)


def _query() -> dict[str, Any]:
    return {k: v for k, v in (("round", _round()), ("labels", _language())) if v is not None}


@bp.post("/exports/<shape>.<fmt>/background")
def export_in_background(slug: str, shape: str, fmt: str) -> ResponseReturnValue:
    """Prepare a large export as a background job; its progress page hands over the file."""
    consultation = load(slug)
    if shape not in exports.SHAPES or fmt not in exports.FORMATS:
        abort(404)
    if not FlaskForm().validate():
        abort(400)
    parameters = {
        "consultation": consultation.id,
        "actor": current_user.id,
        "shape": shape,
        "fmt": fmt,
        "round": _round(),
        "language": _language(),
    }
    job = jobs.create_job(db.session, current_user, consultation, "export-responses", parameters)
    public_id = job.public_id
    db.session.commit()
    runner.start(current_app._get_current_object(), public_id)  # type: ignore[attr-defined]
    return redirect(url_for(".job", slug=slug, public_id=public_id))


def _load_export(
    session: Session, parameters: dict[str, Any], progress: jobs.Progress
) -> tuple[Any, ...]:
    """Job step 1: read the responses (and record the export, as a download does)."""
    consultation = session.get(Consultation, parameters["consultation"])
    actor = session.get(User, parameters["actor"])
    if consultation is None or actor is None:
        raise InvalidState("the consultation or its analyst no longer exists")

    def read(_stage: str, done: int, total: int) -> None:
        progress(0.5 * done / total if total else 0.5, f"{done} of {total} responses read")

    table = exports.response_table(
        session,
        consultation,
        parameters["shape"],
        round_number=parameters["round"],
        language=parameters["language"],
        progress=read,
    )
    audit.record(
        session,
        actor,
        "export.responses",
        consultation,
        shape=table.shape,
        format=parameters["fmt"],
        round=table.round_number,
        language=table.codebook.language,
        responses=table.responses,
        rows=len(table.frame),
        background=True,
    )
    name = f"{consultation.slug}-round{table.round_number}-{table.shape}.{parameters['fmt']}"
    return table, parameters["fmt"], name


def _make_export(loaded: tuple[Any, ...], progress: jobs.Progress) -> jobs.Made:
    """Job step 2: write the file (no database)."""
    table, fmt, name = loaded

    def rows(_stage: str, done: int, total: int) -> None:
        progress(0.5 + 0.5 * done / total if total else 1.0, f"{done} of {total} rows written")

    return exports.render(table, fmt, rows), name, exports.MIMETYPES[fmt]


jobs.register("export-responses", _load_export, _make_export)


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
