"""Analyst routes: the progress page of a background job and its file when done."""

from __future__ import annotations

from flask import Response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from consult.analyst.routes import bp, load
from consult.extensions import db
from consult.models import utcnow
from consult.services import jobs
from consult.services.errors import InvalidState, NotFound


@bp.get("/jobs/<public_id>")
def job(slug: str, public_id: str) -> ResponseReturnValue:
    """How far the job got; the page reloads itself (no JavaScript) until it is finished."""
    consultation = load(slug)
    found = jobs.find_job(db.session, current_user, public_id, consultation)
    shown = jobs.view(found, utcnow())
    if found.kind == "results" and shown.state == "done":  # back to the page that asked
        query = found.parameters.get("query", "")
        return redirect(
            url_for(".results", slug=slug)
            + "?"
            + (query + "&" if query else "")
            + "job="
            + public_id
        )
    return render_template("analyst/job.html", slug=slug, job=shown, refresh_seconds=2)


@bp.get("/jobs/<public_id>/download")
def job_download(slug: str, public_id: str) -> ResponseReturnValue:
    """The file a finished job made."""
    consultation = load(slug)
    found = jobs.find_job(db.session, current_user, public_id, consultation)
    try:
        content, name, media_type = jobs.result(found)
    except InvalidState as error:
        raise NotFound(error.message) from None
    response = Response(content, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
