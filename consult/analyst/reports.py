"""Analyst routes: the priority report as a PDF, in each interface language.

``GET /report`` offers the downloads: its form (question, one button per language) posts to
``/report/background``, which prepares the PDF as a background job — a large consultation's
bootstrap and rendering take longer than a request should — and sends the analyst to the job's
progress page, which hands over the file. ``GET /report.pdf?lang=xx[&question=CODE]`` renders
the same PDF inside the request (scripts, small consultations). Both use WeasyPrint
(``consult.reports.pdf``) on the same service results as the results page. An unknown ``lang``
is ignored like everywhere on the site (the page's language is used); an unknown question is a
400 page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from consult import jobs as runner
from consult.analyst.routes import bp, load
from consult.errors import render_error
from consult.extensions import db
from consult.i18n import current_language, language_name, normalize_language, text_direction
from consult.models import Consultation
from consult.reports.document import ReportOptions, build_report
from consult.reports.pdf import html_to_pdf, render_report_html, report_languages, report_pdf
from consult.services import jobs, priorities
from consult.services.errors import InvalidState


@bp.get("/report")
def report(slug: str) -> ResponseReturnValue:
    """The report page: choose the ranked question, download the PDF in a language."""
    consultation = load(slug)
    questions = priorities.priority_questions(db.session, consultation, language=current_language())
    latest = {q.code: q.text for q in questions}
    return render_template(
        "analyst/report.html",
        consultation={
            "slug": consultation.slug,
            "title": dict(consultation.title or {}),
            "default_language": consultation.default_language,
        },
        questions=list(latest.items()),
        languages=[
            {"code": code, "name": language_name(code), "dir": text_direction(code)}
            for code in report_languages()
        ],
        k=consultation.min_group_size,
        form=FlaskForm(formdata=None),
    )


@bp.get("/report.pdf")
def report_download(slug: str) -> ResponseReturnValue:
    """The priority report as a PDF download (``?lang=``, optional ``?question=``)."""
    consultation = load(slug)
    language = normalize_language(request.args.get("lang"), report_languages())
    language = language or current_language()
    options = ReportOptions(question_code=request.args.get("question") or None)
    try:
        pdf, _report = report_pdf(db.session, consultation, language=language, options=options)
    except priorities.InvalidParameter:
        db.session.rollback()
        return render_error(400)
    except InvalidState:
        db.session.rollback()
        return render_error(409)
    filename = f"{consultation.slug}-report-{language}.pdf"
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _language() -> str:
    language = normalize_language(request.values.get("lang"), report_languages())
    return language or current_language()


@bp.post("/report/background")
def report_in_background(slug: str) -> ResponseReturnValue:
    """Prepare the PDF as a background job and show its progress page."""
    consultation = load(slug)
    if not FlaskForm().validate():
        abort(400)
    parameters = {
        "consultation": consultation.id,
        "language": _language(),
        "question": request.form.get("question") or None,
    }
    job = jobs.create_job(db.session, current_user, consultation, "report-pdf", parameters)
    public_id = job.public_id
    db.session.commit()
    runner.start(current_app._get_current_object(), public_id)  # type: ignore[attr-defined]
    return redirect(url_for(".job", slug=slug, public_id=public_id))


STEPS = {"priorities": 0.45, "challenges": 0.6, "html": 0.7, "pdf": 1.0}


def _load_report(session: Session, parameters: dict[str, Any], progress: jobs.Progress) -> Any:
    """Job step 1: the report's numbers (reads the answers, runs the analysis)."""
    consultation = session.get(Consultation, parameters["consultation"])
    if consultation is None:
        raise InvalidState("the consultation no longer exists")
    language = parameters["language"]
    options = ReportOptions(question_code=parameters["question"])
    progress(0.05, "reading the answers")
    with force_locale(language):
        report = build_report(
            session,
            consultation,
            language=language,
            options=options,
            progress=lambda step: progress(STEPS.get(step, 0.5), step),
        )
    return report, language, f"{consultation.slug}-report-{language}.pdf"


def _make_report(loaded: Any, progress: jobs.Progress) -> jobs.Made:
    """Job step 2: typeset the PDF (no database)."""
    report, language, name = loaded
    with force_locale(language):
        html = render_report_html(report)
    progress(STEPS["html"], "typesetting")
    pdf, _pages = html_to_pdf(html)
    return pdf, name, "application/pdf"


jobs.register("report-pdf", _load_report, _make_report)
