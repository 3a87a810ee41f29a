"""Real gunicorn servers for tests and benchmarks.

``gunicorn_server(database_url)`` starts ``gunicorn 'consult:create_app()'`` in its own process
group, configured only through ``CONSULT_*`` environment variables as in production (a fresh
instance folder, test secrets, the given database), waits until ``/healthz`` answers 200 and
yields the base URL. On exit the whole group is terminated; a server that died or failed to
start raises ``ServerError`` with its stderr. ``kill_server(base_url)`` kills it hard (SIGKILL),
as a crash or a pulled plug would.

The database must already be migrated (the ``migrated_url`` fixture of ``tests/conftest.py``);
its URL may carry a PostgreSQL ``search_path`` option (the per-worker test schema).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0  # seconds for every worker to boot and /healthz to answer
STOP_TIMEOUT = 10.0  # seconds for a graceful stop before SIGKILL

# The same secrets as tests/conftest.py make_test_app, so a test app can read these sessions.
SECRETS = {
    "CONSULT_SECRET_KEY": "test-secret",
    "CONSULT_SECURITY_PASSWORD_SALT": "test-salt",
    "CONSULT_SECURITY_TOTP_SECRETS": json.dumps({"1": "test-totp-secret"}),
}

_running: dict[str, subprocess.Popen[bytes]] = {}


class ServerError(RuntimeError):
    """gunicorn did not start, or exited with an error; the message holds its stderr."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(
    database_url: str, instance: str, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a server: this one without ``CONSULT_*``, plus the app's settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_")}
    return {
        **base,
        **SECRETS,
        "CONSULT_INSTANCE_PATH": instance,
        "CONSULT_DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }


def gunicorn_command(port: int, *, workers: int, threads: int = 1) -> list[str]:
    """The gunicorn command line (sync workers, or gthread when ``threads`` > 1)."""
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--graceful-timeout", "5"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    return [*command, "consult:create_app()"]


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll ``/healthz`` until it answers 200; raise if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"gunicorn exited with status {process.returncode}")
        with suppress(OSError), urllib.request.urlopen(base_url + "/healthz", timeout=2) as r:
            if r.status == 200:
                return
        time.sleep(0.1)
    raise ServerError(f"{base_url}/healthz did not answer 200 within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the process group (master and workers), then kill what is left."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # workers orphaned by a killed master


def kill_server(base_url: str) -> None:
    """Kill the server at ``base_url`` (master and workers) with SIGKILL, without waiting for
    requests in progress; its context manager then only cleans up."""
    process = _running[base_url]
    _master, workers = server_pids(base_url)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    _wait_gone(workers)  # their listening socket closes with them: the port is free again


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie holds no socket


def _wait_gone(pids: list[int], timeout: float = STOP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)


def server_pids(base_url: str) -> tuple[int, list[int]]:
    """The master's pid and its workers' pids (from ``/proc``; Linux)."""
    master = _running[base_url].pid
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:  # field 4 of stat: the parent pid
                children.append(int(stat.parent.name))
    return master, sorted(children)


@contextmanager
def gunicorn_server(
    database_url: str,
    *,
    workers: int = 2,
    threads: int = 1,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """Serve the app with gunicorn on ``database_url`` (already migrated); the base URL.

    ``env`` adds or overrides ``CONSULT_*`` settings (values are JSON-decoded by the app, so
    ``"false"`` is False). Without ``port`` a free one is chosen.
    """
    instance = tempfile.mkdtemp(prefix="consult-gunicorn-")
    stderr_path = Path(instance) / "gunicorn.stderr"
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            gunicorn_command(port, workers=workers, threads=threads),
            cwd=ROOT,
            env=server_env(database_url, instance, env),
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            start_new_session=True,  # its own process group: stopped as one
        )
    _running[base_url] = process
    try:
        try:
            wait_healthy(base_url, process, START_TIMEOUT)
        except ServerError as exc:
            _stop(process)
            raise ServerError(f"{exc}\n{stderr_path.read_text(errors='replace')[-5000:]}") from None
        yield base_url
    finally:
        killed = process.poll() == -signal.SIGKILL  # by kill_server: not a failure
        _stop(process)
        del _running[base_url]
        log = stderr_path.read_text(errors="replace")
        shutil.rmtree(instance, ignore_errors=True)
    if not killed and process.returncode != 0:
        raise ServerError(f"gunicorn exited with status {process.returncode}:\n{log[-5000:]}")
