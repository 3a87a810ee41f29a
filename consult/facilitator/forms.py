"""Forms of the facilitator workspace (Flask-WTF, CSRF-protected).

Consultation settings are built per list of platform languages (one text field per language);
``*_values`` turn a validated form into the service's arguments, ``*_data`` turn a consultation
into form data to prefill. ``explain`` turns a service refusal into a translated message and
the field it concerns. Times are typed in the site's time zone (``BABEL_DEFAULT_TIMEZONE``)
and stored in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from consult.i18n import language_name
from consult.models import AnonymityMode, Consultation, MembershipRole, RoleName
from consult.services.errors import ServiceError
from consult.services.transfer import RESERVED_SLUGS, SLUG_RE
from consult.services.users import EMAIL_RE, MIN_PASSWORD_LENGTH

TRANSITIONS = ("open", "close", "reopen", "archive")
TEXT_FIELDS = ("title", "description", "organiser", "privacy_notice")

TIME_FORMAT = "%Y-%m-%dT%H:%M"
ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
OBJECT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*$")

SLUG_MESSAGE = _l(
    "Use 1 to 80 lowercase letters (a-z), digits and hyphens, starting and ending with a "
    "letter or digit."
)
RETENTION_MESSAGE = _l("Enter a whole number of days from 1 to 3650, or leave it empty.")
EMAIL_MESSAGE = _l("Enter an e-mail address such as name@example.org.")


class TransitionForm(FlaskForm):
    """Move a consultation to another state; ``version`` is the one the page was built from."""

    action = HiddenField(validators=[InputRequired(), AnyOf(TRANSITIONS)])
    version = IntegerField(validators=[InputRequired()])


class ButtonForm(FlaskForm):
    """A bare form: the CSRF token of a button (remove a member, deactivate an account)."""


# --- names shown in forms ------------------------------------------------------------------------


def anonymity_names() -> dict[str, Any]:
    """The anonymity modes as the settings form names them."""
    return {
        AnonymityMode.NAMED.value: _l("Named: staff may see who answered what"),
        AnonymityMode.CONFIDENTIAL.value: _l(
            "Confidential: answers keep their invitation, but staff pages and exports never "
            "show identities"
        ),
        AnonymityMode.ANONYMOUS.value: _l(
            "Anonymous: once submitted, nothing links an answer to its invitation"
        ),
    }


def membership_role_names() -> dict[str, Any]:
    """The roles in one consultation."""
    return {
        MembershipRole.FACILITATOR.value: _l("Facilitator (may change the consultation)"),
        MembershipRole.ANALYST.value: _l("Analyst (may see it and read its results)"),
    }


def site_role_names() -> dict[str, Any]:
    """The site-wide roles of staff accounts."""
    return {
        RoleName.ADMIN.value: _l("Administrator"),
        RoleName.FACILITATOR.value: _l("Facilitator"),
        RoleName.ANALYST.value: _l("Analyst"),
    }


def text_names() -> dict[str, Any]:
    """The consultation's texts."""
    return {
        "title": _l("Title"),
        "description": _l("Description"),
        "organiser": _l("Organiser"),
        "privacy_notice": _l("Privacy notice"),
    }


def _choices(names: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in names.items()]


# --- consultation settings -----------------------------------------------------------------------


class _ConsultationForm(FlaskForm):
    """Checks across fields: default language, a title in it, schedule order, free slug."""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        chosen = self["languages"].data or []
        default = self["default_language"].data
        if chosen and default and default not in chosen:
            self["default_language"].errors.append(
                str(_l("The default language must be one of the languages you chose."))
            )
            ok = False
        title = self._fields.get(f"title_{default}")
        if default in chosen and title is not None and not (title.data or "").strip():
            title.errors.append(str(_l("Enter a title in the default language.")))
            ok = False
        opens, closes = self["opens_at"].data, self["closes_at"].data
        if opens and closes and closes <= opens:
            self["closes_at"].errors.append(
                str(_l("The closing time must be after the opening time."))
            )
            ok = False
        if "slug" in self and self["slug"].data in RESERVED_SLUGS:
            self["slug"].errors.append(str(_l("This address name is reserved: choose another.")))
            ok = False
        return ok


def consultation_form(languages: Sequence[str], *, new: bool, **kwargs: Any) -> FlaskForm:
    """The create (``new``) or settings form; ``languages`` are the platform's languages."""
    language_choices = [SelectChoice(code, language_name(code)) for code in languages]
    attrs: dict[str, Any] = {
        "languages": SelectMultipleField(
            _l("Languages"),
            choices=language_choices,
            validators=[DataRequired(message=_l("Choose at least one language."))],
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
        ),
        "default_language": SelectField(
            _l("Default language"),
            choices=language_choices,
            validators=[InputRequired(message=_l("Choose the default language."))],
        ),
        "anonymity": RadioField(
            _l("Anonymity"),
            choices=_choices(anonymity_names()),
            validators=[InputRequired(message=_l("Choose how answers relate to people."))],
        ),
        "open_link": BooleanField(_l("Anyone with the consultation's link may answer")),
        "opens_at": DateTimeLocalField(
            _l("Opens at"),
            format=TIME_FORMAT,
            validators=[Optional()],
        ),
        "closes_at": DateTimeLocalField(
            _l("Closes at"),
            format=TIME_FORMAT,
            validators=[Optional()],
        ),
        "min_group_size": IntegerField(
            _l("Smallest group shown in results (k)"),
            validators=[
                InputRequired(message=_l("Enter a whole number of at least 1.")),
                NumberRange(min=1, max=100_000, message=_l("Enter a whole number of at least 1.")),
            ],
        ),
    }
    if new:
        attrs["slug"] = StringField(
            _l("Address name"),
            validators=[
                InputRequired(message=_l("Enter an address name.")),
                Regexp(SLUG_RE, message=SLUG_MESSAGE),
            ],
        )
    else:
        attrs["version"] = IntegerField(validators=[InputRequired()])
        attrs["retention_days"] = IntegerField(
            _l("Delete invitation data this many days after closing"),
            validators=[
                Optional(),
                NumberRange(min=1, max=3650, message=RETENTION_MESSAGE),
            ],
        )
    for lang in languages:
        attrs[f"title_{lang}"] = StringField(_l("Title"), validators=[Length(max=1000)])
        for name in TEXT_FIELDS[1:]:
            attrs[f"{name}_{lang}"] = TextAreaField(
                text_names()[name], validators=[Length(max=20_000)]
            )
    return type("ConsultationForm", (_ConsultationForm,), attrs)(**kwargs)


def _local(when: datetime | None) -> datetime | None:
    """A stored UTC time as the naive local time the form shows (minutes)."""
    if when is None:
        return None
    return to_user_timezone(when).replace(tzinfo=None, second=0, microsecond=0)


def _stored(typed: datetime | None, current: datetime | None) -> datetime | None:
    """A typed local time in UTC; the current value when the minute is unchanged."""
    if typed is None:
        return None
    if current is not None and _local(current) == typed:
        return current
    return to_utc(typed).replace(tzinfo=UTC)


def consultation_data(consultation: Consultation) -> dict[str, Any]:
    """Form data for the settings form of ``consultation``."""
    data: dict[str, Any] = {
        "version": consultation.version,
        "languages": list(consultation.languages),
        "default_language": consultation.default_language,
        "anonymity": AnonymityMode(consultation.anonymity).value,
        "open_link": consultation.open_link,
        "opens_at": _local(consultation.opens_at),
        "closes_at": _local(consultation.closes_at),
        "min_group_size": consultation.min_group_size,
        "retention_days": consultation.retention_days,
    }
    for name in TEXT_FIELDS:
        for lang, text in (getattr(consultation, name) or {}).items():
            data[f"{name}_{lang}"] = text
    return data


def new_consultation_data(languages: Sequence[str], default_language: str) -> dict[str, Any]:
    """Form data of an empty creation form."""
    return {
        "languages": list(languages),
        "default_language": default_language,
        "anonymity": AnonymityMode.CONFIDENTIAL.value,
        "min_group_size": 5,
    }


def consultation_values(form: FlaskForm, current: Consultation | None = None) -> dict[str, Any]:
    """The validated form as service arguments (texts only in the chosen languages).

    Languages keep the consultation's order (so re-saving the same set is no change); blank
    texts are left out; an unchanged minute keeps the stored time.
    """
    chosen = list(form["languages"].data or [])
    if current is not None:
        kept = [lang for lang in current.languages if lang in chosen]
        chosen = kept + [lang for lang in chosen if lang not in kept]
    values: dict[str, Any] = {
        "languages": chosen,
        "default_language": form["default_language"].data,
        "anonymity": form["anonymity"].data,
        "open_link": bool(form["open_link"].data),
        "opens_at": _stored(form["opens_at"].data, current.opens_at if current else None),
        "closes_at": _stored(form["closes_at"].data, current.closes_at if current else None),
        "min_group_size": form["min_group_size"].data,
    }
    if "retention_days" in form:  # the settings form only (a new consultation keeps all)
        values["retention_days"] = form["retention_days"].data
    for name in TEXT_FIELDS:
        values[name] = {
            lang: text for lang in chosen if (text := (form[f"{name}_{lang}"].data or "").strip())
        }
    return values


# --- copy ----------------------------------------------------------------------------------------


class _CopyForm(FlaskForm):
    default_language = ""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        title = self[f"title_{self.default_language}"]
        if not (title.data or "").strip():
            title.errors.append(str(_l("Enter a title in the default language.")))
            ok = False
        if self["slug"].data in RESERVED_SLUGS:
            self["slug"].errors.append(str(_l("This address name is reserved: choose another.")))
            ok = False
        return ok


def copy_form(languages: Sequence[str], default_language: str, **kwargs: Any) -> FlaskForm:
    """A new address name and a title per language of the consultation copied."""
    attrs: dict[str, Any] = {
        "default_language": default_language,
        "slug": StringField(
            _l("Address name of the copy"),
            validators=[
                InputRequired(message=_l("Enter an address name.")),
                Regexp(SLUG_RE, message=SLUG_MESSAGE),
            ],
        ),
    }
    for lang in languages:
        attrs[f"title_{lang}"] = StringField(_l("Title"), validators=[Length(max=1000)])
    return type("CopyForm", (_CopyForm,), attrs)(**kwargs)


def copy_title(form: FlaskForm, languages: Sequence[str]) -> dict[str, str]:
    """The copy's title from the validated form (blank languages left out)."""
    return {
        lang: text for lang in languages if (text := (form[f"title_{lang}"].data or "").strip())
    }


# --- members and accounts ------------------------------------------------------------------------


def _email_field(label: Any) -> StringField:
    return StringField(
        label,
        validators=[
            InputRequired(message=EMAIL_MESSAGE),
            Length(max=255, message=EMAIL_MESSAGE),
            Regexp(EMAIL_RE, message=EMAIL_MESSAGE),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


class MemberForm(FlaskForm):
    """Add a staff account to a consultation by e-mail address."""

    email = _email_field(_l("E-mail address"))
    role = RadioField(
        _l("Role in this consultation"),
        choices=_choices(membership_role_names()),
        default=MembershipRole.ANALYST.value,
        validators=[InputRequired(message=_l("Choose a role."))],
    )


class RemoveMemberForm(FlaskForm):
    """Remove a member: the account's id."""

    user_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


def _password_length(_form: FlaskForm, field: PasswordField) -> None:
    if field.data and len(field.data) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            str(
                _l(
                    "The password must have at least %(count)s characters.",
                    count=MIN_PASSWORD_LENGTH,
                )
            )
        )


class AccountForm(FlaskForm):
    """A new staff account: e-mail, site role, and a password (or a generated one)."""

    email = _email_field(_l("E-mail address"))
    role = RadioField(
        _l("Role"),
        choices=_choices(site_role_names()),
        default=RoleName.FACILITATOR.value,
        validators=[InputRequired(message=_l("Choose a role."))],
    )
    password = PasswordField(_l("Password (optional)"), validators=[_password_length])


# --- audit log filters ---------------------------------------------------------------------------


class AuditFilterForm(FlaskForm):
    """Filters of the audit log (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    actor = StringField(
        _l("Who (e-mail address)"),
        validators=[Optional(), Length(max=255), Regexp(EMAIL_RE, message=EMAIL_MESSAGE)],
    )
    action = StringField(
        _l("Action"),
        validators=[
            Optional(),
            Length(max=64),
            Regexp(
                ACTION_RE,
                message=_l(
                    "Enter an action such as consultation.open, or its first part such as "
                    "consultation."
                ),
            ),
        ],
    )
    object_type = StringField(
        _l("Object type"),
        validators=[
            Optional(),
            Length(max=64),
            Regexp(
                OBJECT_TYPE_RE, message=_l("Enter an object type such as consultation or user.")
            ),
        ],
    )
    consultation = StringField(
        _l("Consultation (address name)"),
        validators=[Optional(), Regexp(SLUG_RE, message=SLUG_MESSAGE)],
    )
    date_from = DateField(
        _l("From (day)"),
        validators=[Optional()],
        render_kw={"dir": "ltr"},
    )
    date_to = DateField(
        _l("To (day, included)"),
        validators=[Optional()],
        render_kw={"dir": "ltr"},
    )
    before = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])  # an id

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.date_from.data and self.date_to.data and self.date_to.data < self.date_from.data:
            self.date_to.errors.append(str(_l("The last day must not be before the first day.")))
            ok = False
        return ok


def _midnight(day: date) -> datetime:
    """Local midnight at the start of ``day`` as an aware UTC time."""
    return to_utc(datetime.combine(day, time())).replace(tzinfo=UTC)


def audit_filters(form: AuditFilterForm) -> dict[str, Any]:
    """The validated filter form as ``audit.list_events`` keyword arguments."""
    return {
        "actor_email": form.actor.data or None,
        "action": form.action.data or None,
        "object_type": form.object_type.data or None,
        "consultation_slug": form.consultation.data or None,
        "since": _midnight(form.date_from.data) if form.date_from.data else None,
        "until": _midnight(form.date_to.data + timedelta(days=1)) if form.date_to.data else None,
    }


def audit_query(form: AuditFilterForm) -> dict[str, str]:
    """The filters in use as URL query arguments (for the next page's link)."""
    names = ("actor", "action", "object_type", "consultation", "date_from", "date_to")
    return {
        name: form[name].raw_data[0]
        for name in names
        if form[name].raw_data and form[name].raw_data[0]
    }


# --- service refusals ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A service refusal as the form shows it: ``field`` (or None: the whole form), the
    message, and whether it is translated (untranslated ones are English)."""

    field: str | None
    message: str
    translated: bool


_REFUSALS: list[tuple[re.Pattern[str], str | None, Any]] = [
    (
        re.compile(r"^an archived consultation cannot change$"),
        None,
        _l("An archived consultation cannot change."),
    ),
    (
        re.compile(r"^the anonymity mode cannot change once the consultation has opened$"),
        "anonymity",
        _l("The anonymity mode cannot change once the consultation has opened."),
    ),
    (
        re.compile(r"^the languages cannot change while the consultation is open"),
        "languages",
        _l("The languages cannot change while the consultation is open: close it first."),
    ),
    (
        re.compile(r"^the address name '.*' is already taken$"),
        "slug",
        _l("This address name is already taken."),
    ),
    (re.compile(r"^the address name .* is not valid"), "slug", SLUG_MESSAGE),
    (
        re.compile(r"^the closing time must be after the opening time$"),
        "closes_at",
        _l("The closing time must be after the opening time."),
    ),
    (
        re.compile(r"^the default language must be one of"),
        "default_language",
        _l("The default language must be one of the languages you chose."),
    ),
    (
        re.compile(r"^choose at least one language$"),
        "languages",
        _l("Choose at least one language."),
    ),
    (
        re.compile(r"^the minimum group size must be"),
        "min_group_size",
        _l("Enter a whole number of at least 1."),
    ),
    (
        re.compile(r"^the account (?P<email>\S+) is inactive$"),
        "email",
        _l("The account %(email)s is inactive."),
    ),
    (
        re.compile(r"^(?P<email>\S+) is already an? \w+ of this consultation$"),
        "email",
        _l("%(email)s is already a member of this consultation."),
    ),
    (
        re.compile(r"^(?P<email>\S+) is not a member of this consultation$"),
        None,
        _l("%(email)s is not a member of this consultation."),
    ),
    (
        re.compile(r"^an account for (?P<email>\S+) already exists$"),
        "email",
        _l("An account for %(email)s already exists."),
    ),
    (re.compile(r"^not an e-mail address"), "email", EMAIL_MESSAGE),
    (
        re.compile(r"^the password must have at least (?P<count>\d+) characters$"),
        "password",
        _l("The password must have at least %(count)s characters."),
    ),
    (
        re.compile(r"^you cannot deactivate your own account$"),
        None,
        _l("You cannot deactivate your own account."),
    ),
]
_LOST = re.compile(
    r"^an open or closed consultation must keep every text in every language: (?P<details>.+)$"
)
_LOST_ONE = re.compile(r"^consultation: (?P<what>[a-z ]+) missing in (?P<languages>[a-z, ]+)$")


def _lost_texts(details: str) -> str:
    parts = []
    for part in details.split("; "):
        match = _LOST_ONE.match(part)
        name = text_names().get(match["what"].replace(" ", "_")) if match else None
        if match is None or name is None:
            parts.append(part)
            continue
        languages = ", ".join(language_name(code) for code in match["languages"].split(", "))
        parts.append(str(_l("%(text)s in %(languages)s", text=name, languages=languages)))
    return "; ".join(parts)


def explain(error: ServiceError) -> Refusal:
    """The refusal ``error`` in the interface language, where it is one we know."""
    message = error.message
    lost = _LOST.match(message)
    if lost:
        text = _l(
            "An open or closed consultation must keep every text in every language. "
            "Missing: %(texts)s",
            texts=_lost_texts(lost["details"]),
        )
        return Refusal(None, str(text), True)
    for pattern, field, text in _REFUSALS:
        match = pattern.match(message)
        if match:
            return Refusal(field, str(text % match.groupdict()), True)
    return Refusal(None, message, False)


def show_refusal(form: FlaskForm, error: ServiceError) -> list[str]:
    """Attach ``error`` to its field (or to the form); returns it when untranslated."""
    refusal = explain(error)
    if not refusal.translated:
        return [refusal.message]
    if refusal.field is not None and refusal.field in form:
        form[refusal.field].errors = [*form[refusal.field].errors, refusal.message]
    else:
        form.form_errors.append(refusal.message)
    return []
