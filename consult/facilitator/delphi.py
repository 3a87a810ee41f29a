"""Delphi pages of the workspace (on ``bp``): create and open round N+1, and the summary.

- ``/rounds/next`` (GET form, POST creates): editors only. The new round copies the latest
  round's questionnaire; the facilitator ticks the questions that show the panel's results.
- ``/rounds/open`` (POST): editors only; opens the draft round and closes the one before it.
- ``/delphi``: every member who may read results (analysts and facilitators): consensus and
  stability per item and round, and the stop-or-continue recommendation. Its thresholds are
  query arguments (a GET form); values that cannot be read give the page with the reasons.

Stale forms (the consultation changed since the page was built) get the conflict page (409);
refusals of the services are shown on the page (409) in English, as the state transitions do.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectMultipleField
from wtforms.validators import InputRequired, NumberRange, Optional

from consult.extensions import db
from consult.facilitator.routes import _load, _summary, bp
from consult.i18n import current_language
from consult.models import AnonymityMode, Consultation, utcnow
from consult.services import delphi, lifecycle, permissions
from consult.services.errors import Conflict, InvalidState

EDIT = permissions.Action.EDIT
ANALYSE = permissions.Action.ANALYSE


def _blocked(plan: delphi.RoundPlan) -> str | None:
    """Why no round can be prepared now, in the page's language."""
    if plan.blocked == "not_started":
        return _(
            "The consultation has not opened yet: its first round must take answers before a "
            "next round can show them."
        )
    if plan.blocked == "archived":
        return _("An archived consultation cannot have new rounds.")
    if plan.blocked == "draft_round":
        return _(
            "Round %(number)s is already prepared and waits to be opened: open it from the "
            "Delphi page before preparing another round.",
            number=plan.draft,
        )
    return None


class NextRoundForm(FlaskForm):
    """Round N+1: the questions that show round N's results; the version the page showed."""

    feedback = SelectMultipleField(choices=[], validate_choice=True)
    version = IntegerField(validators=[InputRequired()])


class OpenRoundForm(FlaskForm):
    """Open the prepared round; ``version`` is the one the page was built from."""

    version = IntegerField(validators=[InputRequired()])


class ThresholdsForm(FlaskForm):
    """The summary's consensus and stability thresholds (query arguments, all optional)."""

    class Meta:
        csrf = False

    iqr_max = DecimalField(
        _l("Largest interquartile range"),
        places=None,
        default=Decimal(str(delphi.IQR_MAX)).normalize(),
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    agree_share = IntegerField(
        _l("Share of the panel agreeing (%)"),
        default=round(100 * delphi.AGREE_SHARE),
        validators=[Optional(), NumberRange(min=1, max=100)],
    )
    agree_points = IntegerField(
        _l("Scale points that count as agreeing"),
        default=delphi.AGREE_POINTS,
        validators=[Optional(), NumberRange(min=1, max=10)],
    )
    stable_share = IntegerField(
        _l("Largest share of panelists changing their answer (%)"),
        default=round(100 * delphi.STABLE_SHARE),
        validators=[Optional(), NumberRange(min=0, max=100)],
    )


def _thresholds(form: ThresholdsForm) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if form.iqr_max.data is not None:
        values["iqr_max"] = float(form.iqr_max.data)
    if form.agree_share.data is not None:
        values["agree_share"] = form.agree_share.data / 100
    if form.agree_points.data is not None:
        values["agree_points"] = form.agree_points.data
    if form.stable_share.data is not None:
        values["stable_share"] = form.stable_share.data / 100
    return values


def _numbers() -> dict[str, Any]:
    """Number formatting for the templates, in the page's language."""
    return {
        "percent": lambda value: "–" if value is None else format_percent(value),
        "decimal": lambda value: "–" if value is None else format_decimal(value),
        "p_value": lambda value: "–" if value is None else format_decimal(value, "0.000"),
    }


def _summary_page(
    consultation: Consultation,
    *,
    form: ThresholdsForm | None = None,
    problems: list[str] | None = None,
    missing: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    form = form or ThresholdsForm(formdata=None)
    valid = not form.errors
    summary = None
    refused: list[str] = []
    if valid:
        try:
            summary = delphi.delphi_summary(
                db.session, consultation, language=current_language(), **_thresholds(form)
            )
        except delphi.InvalidParameter as error:
            refused = [error.message]
    plan = delphi.round_plan(db.session, consultation, current_language())
    return (
        render_template(
            "facilitator/delphi.html",
            consultation=_summary(consultation),
            summary=summary.as_dict() if summary is not None else None,
            plan=plan,
            can_edit=permissions.can_edit(current_user, consultation),
            form=form,
            open_form=OpenRoundForm(formdata=None),
            refused=refused,
            problems=problems or [],
            missing=missing or [],
            defaults={
                "iqr_max": delphi.IQR_MAX,
                "agree_share": delphi.AGREE_SHARE,
                "agree_points": delphi.AGREE_POINTS,
                "stable_share": delphi.STABLE_SHARE,
                "significance": delphi.SIGNIFICANCE,
            },
            **_numbers(),
        ),
        status,
    )


@bp.get("/consultations/<slug>/delphi")
def delphi_summary(slug: str) -> ResponseReturnValue:
    """Consensus and stability per item and round, and whether to stop or continue."""
    consultation = _load(slug, ANALYSE)
    form = ThresholdsForm(formdata=request.args)
    form.validate()
    return _summary_page(consultation, form=form)


@bp.route("/consultations/<slug>/rounds/next", methods=["GET", "POST"])
def next_round(slug: str) -> ResponseReturnValue:
    """Prepare round N+1 from round N: the same questionnaire and invitations, with feedback."""
    consultation = _load(slug, EDIT)
    plan = delphi.round_plan(db.session, consultation, current_language())
    form = NextRoundForm(
        data={"feedback": [c.code for c in plan.choices], "version": plan.version}
        if request.method == "GET"
        else None
    )
    form.feedback.choices = [(c.code, c.text) for c in plan.choices]
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                new = delphi.create_next_round(
                    db.session,
                    current_user,
                    consultation,
                    form.feedback.data or [],
                    expected_version=form.version.data,
                )
            except Conflict:
                db.session.rollback()
                return render_template("facilitator/conflict.html", slug=slug), 409
            except (InvalidState, delphi.InvalidParameter) as error:
                db.session.rollback()
                problems = [error.message]
                status = 409
            else:
                number, previous = new.number, new.number - 1
                db.session.commit()
                flash(
                    _(
                        "Round %(number)s is prepared. Open it when you are ready: opening it "
                        "closes round %(previous)s.",
                        number=number,
                        previous=previous,
                    ),
                    "success",
                )
                return redirect(url_for(".delphi_summary", slug=slug))
        else:
            status = 422
    return render_template(
        "facilitator/delphi_next_round.html",
        consultation=_summary(consultation),
        plan=plan,
        form=form,
        blocked=_blocked(plan),
        problems=problems,
        anonymous=consultation.anonymity == AnonymityMode.ANONYMOUS,
    ), status


@bp.post("/consultations/<slug>/rounds/open")
def open_round(slug: str) -> ResponseReturnValue:
    """Open the prepared round; the round before it closes."""
    consultation = _load(slug, EDIT)
    form = OpenRoundForm()
    if not form.validate():
        abort(400)
    try:
        opened = delphi.open_next_round(
            db.session, current_user, consultation, utcnow(), expected_version=form.version.data
        )
    except lifecycle.OpeningRefused as refused:
        db.session.rollback()
        missing = [
            {"what": m.what, "where": m.where, "languages": ", ".join(m.languages)}
            for m in refused.missing
        ]
        problems = [p for p in refused.problems if not p.startswith("missing translation")]
        return _summary_page(_load(slug, EDIT), problems=problems, missing=missing, status=409)
    except Conflict:
        db.session.rollback()
        return render_template("facilitator/conflict.html", slug=slug), 409
    except InvalidState as error:
        db.session.rollback()
        return _summary_page(_load(slug, EDIT), problems=[error.message], status=409)
    number = opened.number
    db.session.commit()
    flash(
        _(
            "Round %(number)s is open: panelists' personal links now lead to it. Round "
            "%(previous)s is closed.",
            number=number,
            previous=number - 1,
        ),
        "success",
    )
    return redirect(url_for(".delphi_summary", slug=slug))
