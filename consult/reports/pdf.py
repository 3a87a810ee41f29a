"""HTML → PDF with WeasyPrint, fetching nothing but the app's own static files.

WeasyPrint 70 removed ``default_url_fetcher``; every render here uses :class:`StaticFileFetcher`,
a ``weasyprint.urls.URLFetcher`` that serves files under ``consult/static`` and refuses anything
else (``http(s)``, ``data:``, ``file:`` paths outside the folder, symbolic links leading out of
it). Fonts and the report stylesheet are loaded once per process into one
``FontConfiguration`` and reused by every render; renders are serialised by a lock because
that configuration is shared. The output is a tagged PDF/UA-1 document whose title and language
come from the HTML (``<title>``, ``<html lang>``).
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from consult.models import Consultation
from consult.reports.document import Progress, ReportOptions, build_report
from consult.services.priorities import InvalidParameter

STATIC_ROOT = Path(__file__).resolve().parent.parent / "static"
REPORT_STYLESHEET = STATIC_ROOT / "css" / "report.css"
PDF_VARIANT = "pdf/ua-1"


class ResourceRefused(ValueError):
    """A report asked for something outside the app's static files."""


class StaticFileFetcher(URLFetcher):
    """A URL fetcher that serves only regular files under ``root`` (``file:`` URLs).

    Every other URL raises :class:`ResourceRefused`; WeasyPrint then leaves the resource out
    (and logs a warning) instead of fetching it.
    """

    def __init__(self, root: Path = STATIC_ROOT) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = Path(root).resolve()

    def resolve(self, url: str) -> Path:
        """The file under ``root`` that ``url`` names, or ``ResourceRefused``."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise ResourceRefused(f"only the app's own files may be used in a report: {url}")
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"not a local file: {url}")
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ResourceRefused(f"not one of the app's static files: {url}")
        return path

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The file's bytes with a content type guessed from its name."""
        path = self.resolve(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".woff2":
            content_type = "font/woff2"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
        )


class _Renderer:
    """The process-wide fetcher, font configuration and report stylesheet (built on first use)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fetcher = StaticFileFetcher()
        self._fonts: FontConfiguration | None = None
        self._stylesheet: CSS | None = None

    def _prepare(self) -> tuple[FontConfiguration, CSS]:
        if self._fonts is None or self._stylesheet is None:
            fonts = FontConfiguration()
            stylesheet = CSS(
                filename=str(REPORT_STYLESHEET), url_fetcher=self.fetcher, font_config=fonts
            )
            self._fonts, self._stylesheet = fonts, stylesheet
        return self._fonts, self._stylesheet

    def render(self, html: str) -> tuple[bytes, int]:
        options = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}
        with self.lock:
            fonts, stylesheet = self._prepare()
            document = HTML(
                string=html, base_url=STATIC_ROOT.as_uri() + "/", url_fetcher=self.fetcher
            ).render(font_config=fonts, stylesheets=[stylesheet], **options)
            pdf = document.write_pdf(**options)
        assert pdf is not None  # write_pdf returns the bytes when no target is given
        return pdf, len(document.pages)


_renderer = _Renderer()


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """A tagged PDF/UA-1 document from ``html`` and its number of pages (relative URLs point
    into ``consult/static``)."""
    return _renderer.render(html)


# --------------------------------------------------------------------------------------------
# the priority report

#: Progress steps of :func:`report_pdf`, in order (``document.STEPS`` then these two).
RENDER_STEPS = ("html", "pdf")


def report_languages() -> tuple[str, ...]:
    """The languages a report can be written in: the app's interface languages."""
    return tuple(current_app.config["LANGUAGES"])


def render_report_html(report: dict[str, Any]) -> str:
    """The report template filled with ``report`` (the current locale translates headings)."""
    template = current_app.jinja_env.get_template("reports/report.html")
    return template.render(report=report)


def report_pdf(
    session: Session,
    consultation: Consultation,
    *,
    language: str,
    options: ReportOptions | None = None,
    progress: Progress | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """The priority report of ``consultation`` in ``language``: the PDF and its plain data.

    The caller has checked ``Action.ANALYSE``. Raises ``InvalidParameter`` for a language that
    is not one of the app's languages, and what :func:`document.build_report` raises.
    """
    if language not in report_languages():
        raise InvalidParameter(
            "language",
            f"unknown report language {language!r} (choose from {', '.join(report_languages())})",
        )
    step = progress or (lambda _name: None)
    with force_locale(language):
        report = build_report(
            session, consultation, language=language, options=options, progress=step
        )
        html = render_report_html(report)
    step("html")
    pdf, pages = html_to_pdf(html)
    step("pdf")
    return pdf, {**report, "pages": pages}
