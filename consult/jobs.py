"""Run background jobs in worker threads of the app process (see ``consult.services.jobs``).

``start(app, public_id)`` hands a committed, queued job to a small thread pool
(``JOB_WORKERS``, default 2). The worker loads the job's data in one short transaction, ends
it, does the slow part outside any transaction, and stores progress and the result in short
transactions of their own. With ``JOBS_INLINE`` (tests, command line) the job runs at once in
the caller's thread. A job whose process dies is shown as failed once its progress goes stale.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from consult.extensions import db
from consult.models import utcnow
from consult.services import jobs

log = logging.getLogger(__name__)
_lock = threading.Lock()
_executors: dict[int, ThreadPoolExecutor] = {}
PROGRESS_INTERVAL = 0.5  # seconds between stored progress reports


def start(app: Flask, public_id: str) -> None:
    """Run the job ``public_id`` (already committed as queued) in the background."""
    if app.config.get("JOBS_INLINE"):
        run(app, public_id)
        return
    with _lock:
        executor = _executors.get(id(app))
        if executor is None:
            workers = int(app.config.get("JOB_WORKERS", 2))
            executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="consult-job")
            _executors[id(app)] = executor
    executor.submit(run, app, public_id)


def run(app: Flask, public_id: str) -> None:
    """Do one job from start to end in an application context of its own."""
    with app.app_context():
        session = db.session
        try:
            job = jobs.claim(session, public_id, utcnow())
            session.commit()
            if job is None:
                return
            kind = jobs.KINDS[job.kind]
            last = 0.0

            def progress(fraction: float, message: str = "") -> None:
                nonlocal last
                if time.monotonic() - last < PROGRESS_INTERVAL and fraction < 1:
                    return
                last = time.monotonic()
                jobs.report_progress(session, public_id, fraction, message, utcnow())
                session.commit()

            parameters = dict(job.parameters)
            if kind.read_only:  # SQLite: a deferred read transaction, the write lock stays free
                session.commit()
                session.connection(execution_options={"consult_deferred": True})
            quiet: jobs.Progress = lambda _fraction, _message="": None  # noqa: E731
            loaded = kind.load(session, parameters, quiet if kind.read_only else progress)
            session.commit()  # the data is read: free the database during the slow part
            made = kind.make(loaded, progress)
            jobs.finish(session, public_id, made, utcnow())
            session.commit()
        except Exception as error:
            session.rollback()
            log.exception("job %s failed", public_id)
            message = getattr(error, "message", None) or "the work failed unexpectedly"
            jobs.fail(session, public_id, str(message), utcnow())
            session.commit()
        finally:
            db.session.remove()
