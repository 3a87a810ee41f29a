"""Import a consultation (XLSForm or JSON) as a new draft; export one as JSON or XLSForm.

Importing needs the right to create consultations (admins and site facilitators); the importer
becomes the new consultation's facilitator, as on creation. The file is checked completely by
the services before anything is written (``consult.services.transfer``: JSON syntax, size and
every path; ``consult.services.xlsform``: size, zip entries and unpacked size before any parser
sees the workbook), so a refused file leaves nothing behind; the form says why. A request over
``MAX_CONTENT_LENGTH`` is refused by Werkzeug before the view runs and shown on the same form.

Exporting needs only the right to view the consultation. The downloads are recorded in the
audit log by the services themselves (``consultation.export``, as imports record
``consultation.import``); the export page only shows what XLSForm would leave out and records
nothing.
"""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Any

from flask import current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional

from consult.errors import render_error
from consult.extensions import db
from consult.facilitator.routes import bp
from consult.models import Consultation
from consult.services import permissions
from consult.services.errors import Conflict, Forbidden, ServiceError
from consult.services.transfer import (
    MAX_DOCUMENT_BYTES,
    dump_document,
    export_consultation,
    import_consultation,
    parse_json_document,
)
from consult.services.xlsform import import_xlsform
from consult.services.xlsform_export import export_xlsform, xlsform_reports

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_TYPE = "application/json"
COUNT_NAMES = {
    "rounds": _l("Rounds"),
    "sections": _l("Sections"),
    "questions": _l("Questions"),
    "items": _l("Items"),
    "objectives": _l("Objectives"),
    "stakeholder_groups": _l("Stakeholder groups"),
    "left_out": _l("Questions left out"),
}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ImportForm(FlaskForm):
    """A file to import and, optionally, the new consultation's address name."""

    file = FileField(
        _l("XLSForm (.xlsx) or consultation export (.json)"), validators=[FileRequired()]
    )
    slug = StringField(
        _l("Address name (optional)"), validators=[Optional(), Length(max=80)], filters=[_strip]
    )


def _require_creator() -> None:
    if not permissions.can_create_consultation(current_user):
        raise Forbidden("only facilitators and administrators may create consultations")


def _kind(filename: str, data: bytes) -> str | None:
    """``json`` or ``xlsx`` from the file name, else from the first bytes (as the CLI does)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".json" or (suffix != ".xlsx" and data.lstrip()[:1] == b"{"):
        return "json"
    if suffix == ".xlsx" or data.startswith(b"PK"):
        return "xlsx"
    return None


def _import_page(form: ImportForm, status: int = 200) -> ResponseReturnValue:
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or MAX_DOCUMENT_BYTES)
    return (
        render_template(
            "facilitator/transfer_import.html",
            form=form,
            limit_mb=max(1, limit // 2**20),
        ),
        status,
    )


def import_page_too_large(message: str) -> ResponseReturnValue:
    """The import form saying the upload was too large (413), for those who may import."""
    if not permissions.can_create_consultation(current_user):
        return render_error(413, message=message)
    form = ImportForm(formdata=None)
    form.file.errors = [message]
    return _import_page(form, 413)


@bp.route("/consultations/import", methods=["GET", "POST"])
def import_consultation_page() -> ResponseReturnValue:
    """Create a draft consultation from an XLSForm or a JSON export and show the import report."""
    _require_creator()
    form = ImportForm()
    if request.method == "GET":
        return _import_page(ImportForm(formdata=None))
    if not form.validate():
        if form.file.errors:
            form.file.errors = [_("Choose a file to import.")]
        if form.slug.errors:
            form.slug.errors = [_("At most %(count)s characters.", count=80)]
        return _import_page(form, 422)
    upload = form.file.data
    filename = upload.filename or "form.xlsx"
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    languages = list(current_app.config["LANGUAGES"])
    kind = _kind(filename, data)
    try:
        if not data.strip():
            form.file.errors = [_("The file is empty.")]
            return _import_page(form, 422)
        if kind == "json":
            consultation, report = import_consultation(
                db.session,
                parse_json_document(data),
                slug=form.slug.data or None,
                actor=current_user,
                allowed_languages=languages,
            )
        elif kind == "xlsx":
            consultation, report = import_xlsform(
                db.session,
                data,
                slug=form.slug.data or None,
                actor=current_user,
                allowed_languages=languages,
                filename=filename,
            )
        else:
            form.file.errors = [_("Give an XLSForm (.xlsx) or a consultation export (.json).")]
            return _import_page(form, 422)
    except Conflict:
        db.session.rollback()
        form.slug.errors = [_("This address name is already taken: choose another one.")]
        return _import_page(form, 409)
    except Forbidden:
        raise
    except ServiceError as error:
        db.session.rollback()
        form.file.errors = [error.message]
        return _import_page(form, 422)
    summary = _summary(consultation)
    db.session.commit()
    counts = report.counts
    return render_template(
        "facilitator/transfer_import_report.html",
        new=summary,
        format=report.format,
        filename=filename,
        counts=[
            {"name": str(COUNT_NAMES[k]), "count": v} for k, v in counts.items() if k in COUNT_NAMES
        ],
        entries=[vars(e) for e in report.entries],
    )


def _summary(c: Consultation) -> dict[str, Any]:
    return {
        "slug": c.slug,
        "title": dict(c.title or {}),
        "default_language": c.default_language,
        "languages": list(c.languages),
    }


def _load(slug: str) -> Consultation:
    """The consultation ``slug`` if the user may view it (404, or 403)."""
    return permissions.consultation_for(db.session, current_user, slug, permissions.Action.VIEW)


@bp.get("/consultations/<slug>/export")
def export_page(slug: str) -> ResponseReturnValue:
    """The two downloads, and per round what XLSForm cannot express."""
    consultation = _load(slug)
    rounds = [
        {
            "number": number,
            "questions": report.counts.get("questions", 0),
            "left_out": report.counts.get("left_out", 0),
            "entries": [vars(e) for e in report.entries],
        }
        for number, report in xlsform_reports(consultation)
    ]
    db.session.rollback()  # nothing was written
    return render_template(
        "facilitator/transfer_export.html", consultation=_summary(consultation), rounds=rounds
    )


def _download(data: bytes, mimetype: str, filename: str) -> ResponseReturnValue:
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/consultations/<slug>/export.json")
def export_json(slug: str) -> ResponseReturnValue:
    """The whole consultation as a JSON document (lossless); recorded in the audit log."""
    consultation = _load(slug)
    document = export_consultation(db.session, consultation, current_user)
    data = dump_document(document).encode("utf-8")
    db.session.commit()
    return _download(data, JSON_TYPE, f"{consultation.slug}.json")


@bp.get("/consultations/<slug>/export.xlsx")
def export_xlsx(slug: str) -> ResponseReturnValue:
    """One round's questionnaire as an XLSForm (``?round=N``, default 1); audited."""
    consultation = _load(slug)
    number = request.args.get("round", 1, type=int) or 1
    data, _report = export_xlsform(db.session, consultation, number, current_user)
    db.session.commit()
    suffix = "" if number == 1 else f"-round-{number}"
    return _download(data, XLSX_TYPE, f"{consultation.slug}{suffix}.xlsx")
