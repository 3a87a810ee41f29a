"""Command line: ``consult <command>`` is ``flask --app consult <command>``.

Every failure a user can cause prints one line and exits with status 2, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from consult.extensions import db


class CommandError(click.ClickException):
    """A one-line error with exit status 2."""

    exit_code = 2


class OneLineCommand(click.Command):
    """A command whose usage errors (bad option values, unwritable paths) are one line on
    standard error, ``Error: ...``, with exit status 2: no usage text around it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = None  # without a context, Click prints the message line alone
            raise


def one_line_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn service and database errors into a one-line message, exit 2, nothing written."""
    from consult.services.errors import ServiceError

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            db.session.rollback()
            raise CommandError(exc.message) from None
        except DBAPIError as exc:
            db.session.rollback()
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise CommandError(f"database error ({_safe_url()}): {first}") from None
        except SQLAlchemyError as exc:
            db.session.rollback()
            raise CommandError(f"database error ({_safe_url()}): {type(exc).__name__}") from None

    return wrapper


def _safe_url() -> str:
    return db.engine.url.render_as_string(hide_password=True)


@click.command("demo", cls=OneLineCommand)
@click.option("--responses", default=None, type=int, help="Synthetic responses (default 123).")
@click.option("--seed", default=None, type=int, help="Random seed (default 2019).")
@with_appcontext
@one_line_errors
def demo_command(responses: int | None, seed: int | None) -> None:
    """Load the demo consultations: migration-action-plan (with responses) and question-types."""
    from flask import current_app

    from consult.services.demo import load_demo
    from consult.services.demo_question_types import load_question_types_demo

    cfg = current_app.config
    results = [
        load_demo(
            db.session,
            responses=cfg["DEMO_RESPONSES"] if responses is None else responses,
            seed=cfg["DEMO_SEED"] if seed is None else seed,
        ),
        load_question_types_demo(db.session),
    ]
    db.session.commit()
    for result in results:
        if result.created:
            click.echo(f"Loaded demo consultation {result.slug} with {result.responses} responses.")
        else:
            click.echo(
                f"Demo consultation {result.slug} already exists ({result.responses} responses); "
                "nothing changed."
            )


@click.group("users")
def users_group() -> None:
    """Manage staff accounts."""


@users_group.command("create", cls=OneLineCommand)
@click.argument("email")
@click.option("--role", required=True, help="admin, facilitator or analyst.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@one_line_errors
def create_user_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account; without --password-stdin a password is generated and shown once."""
    from consult.security import user_datastore
    from consult.services.users import create_user, generate_password

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    create_user(db.session, user_datastore, email, role, password)
    db.session.commit()
    click.echo(f"Created {role} account {email.strip()}.")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@click.group("consultation")
def consultation_group() -> None:
    """Import and export consultations (JSON) and questionnaires (XLSForm)."""


@consultation_group.command("import", cls=OneLineCommand)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slug", default=None, help="Slug of the new consultation (default: from the file).")
@click.option(
    "--language",
    default=None,
    help="XLSForm: language code of label columns that name no language (default: en).",
)
@with_appcontext
@one_line_errors
def import_consultation_command(file: Path, slug: str | None, language: str | None) -> None:
    """Create a draft consultation from FILE.xlsx (XLSForm) or FILE.json (a Consult export)."""
    from flask import current_app

    from consult.services.transfer import (
        MAX_DOCUMENT_BYTES,
        import_consultation,
        parse_json_document,
    )
    from consult.services.xlsform import import_xlsform

    data = _read_input(file, MAX_DOCUMENT_BYTES)
    languages = list(current_app.config["LANGUAGES"])
    suffix = file.suffix.lower()
    if suffix == ".json" or (suffix != ".xlsx" and data.lstrip()[:1] == b"{"):
        consultation, report = import_consultation(
            db.session, parse_json_document(data), slug=slug, allowed_languages=languages
        )
    elif suffix == ".xlsx" or data.startswith(b"PK"):
        consultation, report = import_xlsform(
            db.session,
            data,
            slug=slug,
            allowed_languages=languages,
            language=language,
            filename=file.name,
        )
    else:
        raise CommandError(f"{file.name}: give an XLSForm (.xlsx) or a consultation export (.json)")
    db.session.commit()
    counts = report.counts
    click.echo(
        f"Created draft consultation {consultation.slug} ({counts.get('sections', 0)} sections, "
        f"{counts.get('questions', 0)} questions; languages {', '.join(consultation.languages)})."
    )
    if not report.entries:
        click.echo("Import report: everything was imported.")
        return
    click.echo(f"Import report: {len(report.entries)} thing(s) not imported as written:")
    for entry in report.entries:
        click.echo(f"  - {entry}")


@consultation_group.command("export", cls=OneLineCommand)
@click.argument("slug")
@click.option("--format", "fmt", default="json", help="json (whole consultation) or xlsform.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--round", "round_number", default=1, type=int, help="XLSForm: the round (1).")
@with_appcontext
@one_line_errors
def export_consultation_command(
    slug: str, fmt: str, output: Path | None, round_number: int
) -> None:
    """Write the consultation SLUG to a file: --format json|xlsform -o FILE."""
    from consult.services.transfer import dump_document, export_consultation, find_consultation
    from consult.services.xlsform_export import export_xlsform

    if fmt not in ("json", "xlsform"):
        raise CommandError(f"unknown format {fmt!r}: use json or xlsform")
    if output is None:
        raise CommandError("give the output file with -o FILE")
    consultation = find_consultation(db.session, slug)
    if fmt == "json":
        data = dump_document(export_consultation(db.session, consultation)).encode("utf-8")
        entries = []
    else:
        data, report = export_xlsform(db.session, consultation, round_number)
        entries = report.entries
    _write_output(output, data)
    db.session.commit()
    click.echo(f"Exported {slug} as {fmt} to {output}.")
    for entry in entries:
        click.echo(f"  - not exported: {entry}")


@click.command("invite", cls=OneLineCommand)
@click.argument("slug")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Invitation list: organisation, contact, email, stakeholder group[, language, district].",
)
@click.option("--send", is_flag=True, help="E-mail each new invitation its link (MAIL_SERVER).")
@click.option("--remind", is_flag=True, help="E-mail a new link to those who have not answered.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the personal links as CSV (UTF-8 with BOM) instead of printing them.",
)
@with_appcontext
@one_line_errors
def invite_command(
    slug: str, csv_file: Path | None, send: bool, remind: bool, output: Path | None
) -> None:
    """Invite the people in --csv FILE to SLUG, or --remind those who have not answered.

    Personal links exist only now: tokens are stored hashed, so keep the printed links or the
    -o file. A reminder gives each person a new link; the earlier one stops working.
    """
    from datetime import UTC, datetime

    from flask import current_app

    from consult.services.invitation_csv import MAX_CSV_BYTES
    from consult.services.invitations import (
        create_invitations,
        invitation_links_csv,
        parse_invitation_csv,
        send_invitations,
        send_reminders,
    )
    from consult.services.mail import Mailer, MailSettings
    from consult.services.transfer import find_consultation

    if (csv_file is None) == (not remind):
        raise CommandError("give either --csv FILE (new invitations) or --remind")
    if remind and send:
        raise CommandError("--send goes with --csv; --remind sends by itself")
    config = current_app.config
    settings = MailSettings.from_config(config) if (send or remind) else None
    base_url = str(config["BASE_URL"])
    consultation = find_consultation(db.session, slug)
    now = datetime.now(UTC)
    if remind:
        assert settings is not None
        with Mailer(settings) as mailer:
            report = send_reminders(db.session, consultation, mailer, base_url, None, now)
        _commit_with_links(output, invitation_links_csv(report.issued, base_url))
        click.echo(
            f"Reminded {report.sent} invitation(s) with new links; bounced {report.bounced}, "
            f"failed {report.failed}."
        )
        _echo_problems(report.problems)
        _echo_links(output, report.issued, base_url)
        return
    assert csv_file is not None
    preview = parse_invitation_csv(consultation, _read_input(csv_file, MAX_CSV_BYTES))
    for issue in preview.errors:
        click.echo(f"{csv_file.name}: {issue}", err=True)
    if preview.errors:
        raise CommandError(
            f"{len(preview.errors)} error(s) in {csv_file.name}: nothing was imported"
        )
    for issue in (*preview.notes, *preview.warnings):
        click.echo(f"{csv_file.name}: {issue}")
    issued = create_invitations(db.session, consultation, preview, None)
    _commit_with_links(output, invitation_links_csv(issued, base_url))
    click.echo(f"Created {len(issued)} invitation(s) to {slug}.")
    _echo_links(output, issued, base_url)
    if settings is None:
        return
    with Mailer(settings) as mailer:
        report = send_invitations(db.session, consultation, issued, mailer, base_url, None, now)
    db.session.commit()
    click.echo(f"Sent {report.sent} e-mail(s); bounced {report.bounced}, failed {report.failed}.")
    _echo_problems(report.problems)
    if issued and report.failed == len(issued):
        raise CommandError(
            f"created {len(issued)} invitation(s), but no e-mail was sent: {report.problems[0][1]}"
        )


def _commit_with_links(output: Path | None, links: bytes) -> None:
    """Write the links file (if asked), then commit; a failed commit removes the file."""
    if output is not None:
        try:
            _write_output(output, links)
        except CommandError:
            db.session.rollback()
            raise
    try:
        db.session.commit()
    except BaseException:
        if output is not None:
            output.unlink(missing_ok=True)
        raise


def _echo_links(output: Path | None, issued: list[Any], base_url: str) -> None:
    from consult.services.invitation_csv import personal_link

    if output is not None:
        if issued:
            click.echo(f"Personal links written to {output} (they cannot be shown again).")
        return
    for invitation, token in issued:
        click.echo(f"  {invitation.email}  {personal_link(base_url, token)}")


def _echo_problems(problems: list[tuple[str, str]]) -> None:
    for address, reason in problems:
        click.echo(f"  - not sent to {address}: {reason}")


def _read_input(path: Path, limit: int) -> bytes:
    """The bytes of an input file, refusing missing, unreadable or oversized files in one line."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise CommandError(f"no such file: {path}") from None
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise CommandError(f"{path} is larger than {limit // 2**20} MB")
    if not data.strip():
        raise CommandError(f"{path} is empty")
    return data


def _write_output(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a failure leaves no half file."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


# --- exports of responses and results (issue 6) -------------------------------------------------


_PROGRESS_LABELS = {"responses": "Reading responses", "rows": "Writing rows"}


class _ProgressBars:
    """Progress bars on standard error, one per stage (the command uses it on a terminal)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.bars: dict[str, Any] = {}
        self.done: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = click.progressbar(
                length=max(total, 1), label=_PROGRESS_LABELS.get(stage, stage), file=self.stream
            )
            self.bars[stage], self.done[stage] = bar, 0
        bar.update(done - self.done[stage])
        self.done[stage] = done
        if done >= total:
            bar.render_finish()

    def close(self) -> None:
        for stage, bar in self.bars.items():
            if self.done[stage] < (bar.length or 0):
                bar.render_finish()


@click.command("export", cls=OneLineCommand)
@click.argument("slug")
@click.option("--format", "fmt", required=True, help="csv, xlsx or sav (SPSS).")
@click.option(
    "--shape",
    default="wide",
    show_default=True,
    help="wide (a row per response), long (a row per answer), codebook, or results "
    "(the results tables of --question; csv or xlsx).",
)
@click.option("--round", "round_number", default=None, type=int, help="Round (default: latest).")
@click.option("--lang", "language", default=None, help="Language of labels (default: the default).")
@click.option("--question", default=None, help="--shape results: the priority question's code.")
@click.option("--method", default=None, help="--shape results: the ranking method.")
@click.option("--weights", default="respondent", help="--shape results: respondent|equal-groups.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
@one_line_errors
def export_command(
    slug: str,
    fmt: str,
    shape: str,
    round_number: int | None,
    language: str | None,
    question: str | None,
    method: str | None,
    weights: str,
    output: Path | None,
) -> None:
    """Export the submitted responses of SLUG: --format csv|xlsx|sav [--shape wide|long] -o FILE.

    Only submitted responses; invitation data only for named consultations, never e-mail
    addresses. A progress bar goes to standard error when it is a terminal.
    """
    from consult.services.exports import FORMATS, SHAPES, export_responses, export_results
    from consult.services.transfer import find_consultation

    if output is None:
        raise CommandError("give the output file with -o FILE")
    if shape not in (*SHAPES, "results"):
        raise CommandError(f"unknown shape {shape!r}: use {', '.join((*SHAPES, 'results'))}")
    if fmt not in FORMATS:
        raise CommandError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")
    if shape != "results" and (question or method):
        raise CommandError("--question and --method go with --shape results")
    if shape == "results" and not question:
        raise CommandError("--shape results needs --question CODE")
    consultation = find_consultation(db.session, slug)
    bars = _ProgressBars(sys.stderr) if sys.stderr.isatty() else None
    try:
        if shape == "results":
            assert question is not None
            exported = export_results(
                db.session,
                None,
                consultation,
                question,
                fmt,
                method=method,
                weights=weights,
                round_number=round_number,
                language=language,
            )
        else:
            exported = export_responses(
                db.session,
                None,
                consultation,
                shape=shape,
                fmt=fmt,
                round_number=round_number,
                language=language,
                progress=bars,
            )
    finally:
        if bars is not None:
            bars.close()
    _write_output(output, exported.data)
    db.session.commit()
    click.echo(f"Exported {exported.rows} row(s) of {slug} ({shape}, {fmt}) to {output}.")


# --- end of exports -------------------------------------------------------------------------------


# --- the priority report as PDF (issue 6) -------------------------------------------------------


@click.command("report", cls=OneLineCommand)
@click.argument("slug")
@click.option("--lang", "language", default=None, help="tr, en or ar (default: its default).")
@click.option(
    "--question",
    default=None,
    help="The priority question that ranks the actions (default: the one asking about the most).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
@one_line_errors
def report_command(
    slug: str, language: str | None, question: str | None, output: Path | None
) -> None:
    """Write the priority report of SLUG as a PDF: --lang tr|en|ar -o FILE.pdf.

    The same numbers as the results page; progress goes to standard error.
    """
    from consult.reports.document import STEPS, ReportOptions, report_summary_lines
    from consult.reports.pdf import RENDER_STEPS, report_languages, report_pdf
    from consult.services.transfer import find_consultation

    if output is None:
        raise CommandError("give the output file with -o FILE.pdf")
    if not output.parent.is_dir():
        raise CommandError(f"cannot write {output}: no such folder {output.parent}")
    languages = report_languages()
    if language is not None and language not in languages:
        raise CommandError(f"unknown language {language!r}: use {', '.join(languages)}")
    consultation = find_consultation(db.session, slug)
    language = language or consultation.default_language
    if language not in languages:
        language = str(languages[0])
    steps = (*STEPS, *RENDER_STEPS)
    with click.progressbar(
        length=len(steps), label=f"Report {slug} ({language})", file=sys.stderr
    ) as bar:
        pdf, report = report_pdf(
            db.session,
            consultation,
            language=language,
            options=ReportOptions(question_code=question),
            progress=lambda _step: bar.update(1),
        )
    _write_output(output, pdf)
    db.session.rollback()  # read only
    click.echo(f"Wrote {output}: {report['pages']} pages, {len(pdf) // 1024} kB, {language}.")
    for line in report_summary_lines(report):
        click.echo(f"  {line}")


# --- end of the report ----------------------------------------------------------------------------


# --- results of a priority question as the analysis JSON (issue 6) ------------------------------


def _stderr_is_terminal() -> bool:
    """Whether standard error is a terminal (the bootstrap's progress bar goes there)."""
    return sys.stderr.isatty()


@click.command("results", cls=OneLineCommand)
@click.argument("slug")
@click.option("--question", required=True, help="The priority question's code.")
@click.option("--method", default=None, help="Analysis method (default: the kind's first).")
@click.option(
    "--weighting",
    default="respondent",
    show_default=True,
    help="respondent (everybody counts once) or equal-groups (every group the same voice).",
)
@click.option("--bootstrap", default=0, type=int, show_default=True, help="Bootstrap replicates.")
@click.option("--seed", default=None, type=int, help="Bootstrap seed.")
@click.option("--top-k", "top_k", default=None, type=int, help="k of p_top_k (default 3).")
@click.option("--round", "round_number", default=None, type=int, help="Round (default: latest).")
@click.option("--group", "groups", multiple=True, help="Keep this stakeholder group (repeatable).")
@click.option("--district", "districts", multiple=True, help="Keep this district (repeatable).")
@click.option("--language", "languages", multiple=True, help="Keep this language (repeatable).")
@click.option("--source", "sources", multiple=True, help="Keep online or workshop (repeatable).")
@click.option(
    "--by-group", is_flag=True, help="Also rank within each group (small groups suppressed)."
)
@click.option("--format", "fmt", default="json", show_default=True, help="json.")
@with_appcontext
@one_line_errors
def results_command(
    slug: str,
    question: str,
    method: str | None,
    weighting: str,
    bootstrap: int,
    seed: int | None,
    top_k: int | None,
    round_number: int | None,
    groups: tuple[str, ...],
    districts: tuple[str, ...],
    languages: tuple[str, ...],
    sources: tuple[str, ...],
    by_group: bool,
    fmt: str,
) -> None:
    """Print the results of question --question of SLUG as the analysis command line's JSON.

    The output is what ``python -m analysis rank FRAME.csv --kind KIND --method METHOD
    --weights WEIGHTING --bootstrap N --seed S [--by-group --min-group-size K]`` prints for the
    question's answers (K: the consultation's small-cell threshold; groups below it show no
    figures). Filters keep only some respondents; fewer than K left is refused. With
    --bootstrap, a progress bar goes to standard error when it is a terminal.
    """
    import json

    from consult.services.priorities import Filters, analysis_frame
    from consult.services.transfer import find_consultation

    if fmt != "json":
        raise CommandError(f"unknown format {fmt!r}: use json")
    consultation = find_consultation(db.session, slug)
    data = analysis_frame(
        db.session,
        consultation,
        question,
        method=method,
        weighting=weighting,
        filters=Filters(groups, districts, languages, sources),
        bootstrap=bootstrap,
        seed=seed,
        top_k=top_k,
        round_number=round_number,
    )
    bars = _ProgressBars(sys.stderr) if bootstrap and _stderr_is_terminal() else None

    def progress(done: int, total: int) -> None:
        if bars is not None:
            bars("Bootstrap replicates", done, total)

    try:
        payload = data.rank(
            by_group=by_group, progress=progress if bars is not None else None
        ).to_dict()
    except (ValueError, ArithmeticError) as exc:  # analysis.InputError is a ValueError
        raise CommandError(" ".join(str(exc).split())) from None
    finally:
        if bars is not None:
            bars.close()
    db.session.rollback()  # read only
    text = json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        out.write(text.encode("utf-8"))
        out.flush()
    else:
        sys.stdout.write(text)


# --- end of results -------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Register the app's commands."""
    app.cli.add_command(demo_command)
    app.cli.add_command(users_group)
    app.cli.add_command(consultation_group)
    app.cli.add_command(invite_command)
    app.cli.add_command(export_command)
    app.cli.add_command(report_command)
    app.cli.add_command(results_command)
    from consult import cli_data  # backup, restore, purge, erase (issue 7)

    cli_data.init_app(app)


def _create_app_or_exit() -> Flask:
    from consult import ConfigurationError, create_app

    try:
        return create_app()
    except ConfigurationError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


def main() -> None:
    """Entry point of the ``consult`` console script."""
    FlaskGroup(create_app=_create_app_or_exit).main()
