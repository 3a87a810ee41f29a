"""Invitation lists as CSV: read a facilitator's spreadsheet, write the personal links back.

Reading (``parse_invitation_csv``) checks every row and builds a preview, reading only the
consultation's groups and existing invitations; the import itself
(``consult.services.invitations.create_invitations``) refuses a preview with any error, so a
list is imported completely or not at all. Issues carry a code and parameters (for translated
pages) and read as English through ``str()``.

Writing (``invitation_links_csv``) gives UTF-8 with a byte-order mark (Excel needs it) and
neutralises formula injection: a cell starting with ``= + - @``, a tab or a carriage return gets
a leading apostrophe, so a spreadsheet shows it as text and never evaluates it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email

from consult.models import Consultation, Invitation, InvitationStatus, StakeholderGroup

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIMITS = {"organisation": 255, "name": 255, "email": 254, "district": 64}
REQUIRED = ("organisation", "name", "email", "group")
HEADERS = {  # normalised header → field
    "organisation": "organisation",
    "organization": "organisation",
    "contact": "name",
    "name": "name",
    "contact name": "name",
    "email": "email",
    "e mail": "email",
    "email address": "email",
    "stakeholder group": "group",
    "group": "group",
    "language": "language",
    "district": "district",
}
COLUMN_NAMES = {
    "organisation": "organisation",
    "name": "contact",
    "email": "email",
    "group": "stakeholder group",
    "language": "language",
    "district": "district",
}
LINK_COLUMNS = ("organisation", "contact", "email", "stakeholder group", "language", "district")

MESSAGES = {
    "too_large": "the file is larger than {limit} MB",
    "not_utf8": "the file is not UTF-8 text (save it as “CSV UTF-8”)",
    "no_header": "the file has no header line",
    "missing_columns": "missing column(s): {columns}",
    "duplicate_column": "the column {column!r} appears twice",
    "too_many_rows": "more than {limit} invitations in one file",
    "extra_cells": "more cells than the header has columns",
    "empty_line": "empty line skipped",
    "unknown_column": "column {column!r} ignored",
    "line_break": "the {column} contains a line break",
    "too_long": "the {column} is longer than {limit} characters",
    "no_contact": "give an organisation or a contact name",
    "missing_email": "the e-mail address is missing",
    "bad_email": "{value!r} is not a valid e-mail address: {reason}",
    "duplicate_email": "{value} appears already on line {other}",
    "already_invited": "{value} is already invited to this consultation",
    "missing_group": "the stakeholder group is missing",
    "unknown_group": "unknown stakeholder group {value!r} (use one of: {choices})",
    "ambiguous_group": "{value!r} names more than one stakeholder group ({choices})",
    "unknown_language": "language {value!r} is not offered by this consultation ({choices})",
    "formula": "the {column} starts with {start!r}: kept as text, never as a formula",
}


@dataclass(frozen=True)
class CsvIssue:
    """An error, warning or note about the file; ``line`` is the physical line (header = 1)."""

    line: int | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(**self.params)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class CsvRow:
    """One invitation to create, as read from the file."""

    line: int
    organisation: str | None
    name: str | None
    email: str
    group_id: int
    group_code: str
    language: str
    district: str | None


@dataclass
class CsvPreview:
    """What an import would create, and what is wrong with the file."""

    consultation_id: int
    rows: list[CsvRow] = field(default_factory=list)
    errors: list[CsvIssue] = field(default_factory=list)
    warnings: list[CsvIssue] = field(default_factory=list)
    notes: list[CsvIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file can be imported (no errors; warnings and notes allowed)."""
        return not self.errors


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only: Turkish ``I``/``İ`` and other scripts stay as written."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SPACES = re.compile(r"\s+")


def _key(text: str) -> str:
    """How group names, codes and headers are compared: spaces collapsed, ASCII case ignored."""
    return ascii_lower(_SPACES.sub(" ", text.strip()))


def _header_key(text: str) -> str:
    return _key(text.replace("_", " ").replace("-", " "))


# --- reading ------------------------------------------------------------------------------------


def parse_invitation_csv(consultation: Consultation, data: bytes) -> CsvPreview:
    """Check a CSV of invitations for ``consultation`` and return the preview.

    Columns (any order; header names ignore ASCII case): organisation, contact, email,
    stakeholder group (its code, or its name in any of the consultation's languages), and
    optionally language (a consultation language; empty: the consultation's default) and
    district. UTF-8 with or without a byte-order mark; comma or semicolon separated. E-mail
    addresses already invited to the consultation (and not revoked) count as duplicates.
    Nothing is written.
    """
    preview = CsvPreview(consultation_id=consultation.id)
    if len(data) > MAX_CSV_BYTES:
        preview.errors.append(CsvIssue(None, "too_large", {"limit": MAX_CSV_BYTES // 2**20}))
        return preview
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        preview.errors.append(CsvIssue(line, "not_utf8"))
        return preview
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";"), key=lambda d: _known_headers(first_line, d))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header: list[str] | None = None
    consumed = 0  # physical lines read so far
    columns: dict[str, int] = {}
    context = _Context(consultation)
    data_rows = 0
    for cells in reader:
        line = consumed + 1
        consumed = reader.line_num
        if header is None:
            if not any(c.strip() for c in cells):
                preview.notes.append(CsvIssue(line, "empty_line"))
                continue
            header = cells
            columns = _read_header(header, line, preview)
            if preview.errors:
                return preview
            continue
        if not any(c.strip() for c in cells):
            preview.notes.append(CsvIssue(line, "empty_line"))
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            preview.errors.append(CsvIssue(line, "too_many_rows", {"limit": MAX_ROWS}))
            break
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            preview.errors.append(CsvIssue(line, "extra_cells"))
            continue
        values = {f: cells[i].strip() if i < len(cells) else "" for f, i in columns.items()}
        row = context.check(line, values, preview)
        if row is not None:
            preview.rows.append(row)
    if header is None:
        preview.errors.append(CsvIssue(None, "no_header"))
    return preview


def _known_headers(line: str, delimiter: str) -> int:
    cells = next(csv.reader([line], delimiter=delimiter), [])
    return sum(_header_key(c) in HEADERS for c in cells)


def _read_header(header: Sequence[str], line: int, preview: CsvPreview) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip()
        field_name = HEADERS.get(_header_key(name))
        if field_name is None:
            if name:
                preview.notes.append(CsvIssue(line, "unknown_column", {"column": name}))
            continue
        if field_name in columns:
            preview.errors.append(CsvIssue(line, "duplicate_column", {"column": name}))
            continue
        columns[field_name] = index
    missing = [COLUMN_NAMES[f] for f in REQUIRED if f not in columns]
    if missing:
        preview.errors.append(CsvIssue(line, "missing_columns", {"columns": ", ".join(missing)}))
    return columns


class _Context:
    """What rows are checked against: the consultation's groups, languages and invitations."""

    def __init__(self, consultation: Consultation) -> None:
        self.consultation = consultation
        groups = consultation.stakeholder_groups
        self.group_codes = [g.code for g in groups]
        self.groups: dict[str, list[StakeholderGroup]] = {}
        for group in groups:
            names = {group.code, *(n for n in (group.name or {}).values() if n)}
            for key in {_key(n) for n in names}:
                self.groups.setdefault(key, []).append(group)
        self.languages = {ascii_lower(code): code for code in consultation.languages}
        self.existing = {
            email_key(i.email)
            for i in consultation.invitations
            if i.email and i.status != InvitationStatus.REVOKED
        }
        self.seen: dict[str, int] = {}

    def check(self, line: int, values: dict[str, str], preview: CsvPreview) -> CsvRow | None:
        errors: list[CsvIssue] = []

        def error(code: str, **params: Any) -> None:
            errors.append(CsvIssue(line, code, params))

        for field_name, value in values.items():
            column = COLUMN_NAMES[field_name]
            if "\n" in value or "\r" in value:
                error("line_break", column=column)
            limit = LIMITS.get(field_name)
            if limit is not None and len(value) > limit:
                error("too_long", column=column, limit=limit)
            if field_name in ("organisation", "name", "email", "district") and value.startswith(
                FORMULA_START
            ):
                preview.warnings.append(
                    CsvIssue(line, "formula", {"column": column, "start": value[0]})
                )
        organisation, name = values.get("organisation", ""), values.get("name", "")
        if not organisation and not name:
            error("no_contact")
        email = self._email(values.get("email", ""), error)
        if email is not None:
            key = email_key(email)
            if key in self.seen:
                error("duplicate_email", value=email, other=self.seen[key])
            elif key in self.existing:
                error("already_invited", value=email)
            else:
                self.seen[key] = line
        group = self._group(values.get("group", ""), error)
        language = self._language(values.get("language", ""), error)
        preview.errors.extend(errors)
        if errors or email is None or group is None or language is None:
            return None
        return CsvRow(
            line=line,
            organisation=organisation or None,
            name=name or None,
            email=email,
            group_id=group.id,
            group_code=group.code,
            language=language,
            district=values.get("district") or None,
        )

    def _email(self, value: str, error: Any) -> str | None:
        if not value:
            error("missing_email")
            return None
        try:
            result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as exc:
            error("bad_email", value=value, reason=str(exc).rstrip("."))
            return None
        return str(result.normalized)

    def _group(self, value: str, error: Any) -> StakeholderGroup | None:
        if not value:
            error("missing_group")
            return None
        found = self.groups.get(_key(value), [])
        if not found:
            error("unknown_group", value=value, choices=", ".join(self.group_codes))
            return None
        if len(found) > 1:
            error("ambiguous_group", value=value, choices=", ".join(g.code for g in found))
            return None
        return found[0]

    def _language(self, value: str, error: Any) -> str | None:
        if not value:
            return self.consultation.default_language
        code = self.languages.get(ascii_lower(value))
        if code is None:
            error("unknown_language", value=value, choices=", ".join(self.consultation.languages))
        return code


def email_key(email: str) -> str:
    """How e-mail addresses are compared for duplicates (ASCII case ignored)."""
    return ascii_lower(email.strip())


# --- writing ------------------------------------------------------------------------------------


def neutralise(value: object) -> str:
    """A cell as text a spreadsheet will not evaluate: ``'`` before ``= + - @``, tab, CR."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def invitation_links_csv(rows: Iterable[tuple[Invitation, str]], base_url: str) -> bytes:
    """The invitations with their personal links ``<base_url>/i/<token>`` as a CSV file.

    UTF-8 with a byte-order mark, comma separated, CRLF line ends; every cell neutralised
    against formula injection. The tokens exist only in the action that created (or rotated)
    them, so this file must be produced then: it cannot be rebuilt later.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*LINK_COLUMNS, "link"])
    for invitation, token in rows:
        group = invitation.stakeholder_group
        writer.writerow(
            neutralise(v)
            for v in (
                invitation.organisation,
                invitation.name,
                invitation.email,
                group.code if group is not None else "",
                invitation.language,
                invitation.district,
                personal_link(base_url, token),
            )
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def personal_link(base_url: str, token: str) -> str:
    """The participant's personal link for ``token``."""
    return f"{base_url.rstrip('/')}/i/{token}"
