"""The report's URL fetcher serves the app's static files and nothing else: no network, no file
outside ``consult/static`` (not through ``..``, not through a symbolic link), no ``data:``."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader

from consult.reports.pdf import STATIC_ROOT, ResourceRefused, StaticFileFetcher, html_to_pdf

FONT = STATIC_ROOT / "fonts" / "NotoSans-Regular.woff2"


class Server:
    """A local HTTP server that counts the requests it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = b"body { color: red }"
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    thread = threading.Thread(target=s.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()
        thread.join()


def test_serves_a_static_file() -> None:
    response = StaticFileFetcher().fetch(FONT.as_uri())

    assert response.read() == FONT.read_bytes()
    assert response.content_type == "font/woff2"
    response.close()


def test_serves_the_stylesheet_by_a_relative_url_resolved_against_static() -> None:
    fetcher = StaticFileFetcher()
    url = (STATIC_ROOT / "css" / "report.css").as_uri()

    response = fetcher.fetch(url)
    assert b"@font-face" in response.read()
    assert response.content_type == "text/css"
    response.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/report.css",
        "https://example.org/font.woff2",
        "ftp://example.org/x",
        "data:text/css,body%7Bcolor:red%7D",
        "file:///etc/passwd",
        "file://example.org/" + str(FONT),
        FONT.as_uri().replace("/static/fonts/", "/static/fonts/../../config.py"),
        (STATIC_ROOT.parent / "config.py").as_uri(),
        STATIC_ROOT.as_uri() + "/fonts",  # a folder
        STATIC_ROOT.as_uri() + "/missing.css",
    ],
)
def test_refuses_everything_else(url: str) -> None:
    with pytest.raises(ResourceRefused):
        StaticFileFetcher().fetch(url)


def test_refuses_a_symbolic_link_that_leads_out(tmp_path: Path) -> None:
    root = tmp_path / "static"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("do not print me")
    (root / "inside.txt").write_text("fine")
    (root / "link.txt").symlink_to(secret)
    fetcher = StaticFileFetcher(root)

    assert fetcher.fetch((root / "inside.txt").as_uri()).read() == b"fine"
    with pytest.raises(ResourceRefused):
        fetcher.fetch((root / "link.txt").as_uri())


def test_a_report_fetches_nothing_from_the_network_or_outside_files(
    server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text("h1::after { content: 'LEAKED FROM OUTSIDE' }")
    html = f"""<!doctype html><html lang="en"><head><title>t</title>
      <link rel="stylesheet" href="{server.url}/a.css">
      <link rel="stylesheet" href="{outside.as_uri()}">
      <style>@import url("{server.url}/b.css");
        @font-face {{ font-family: X; src: url("{server.url}/font.woff2"); }}</style>
      </head><body><h1>Hello</h1><img src="{server.url}/image.png" alt="remote">
      <img src="{outside.as_uri()}" alt="outside"></body></html>"""

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf, pages = html_to_pdf(html)

    assert server.requests == []
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Hello" in text
    assert "LEAKED" not in text
    assert pages == 1
    refused = [r.getMessage() for r in caplog.records if "ResourceRefused" in r.getMessage()]
    assert len(refused) >= 5
