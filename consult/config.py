"""Default configuration. Nothing here reads the environment; see ``consult.create_app``."""

from __future__ import annotations

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (refused outside debug/testing)

SECRET_KEY = DEV_SECRET_KEY
SECURITY_PASSWORD_SALT = "dev-only-password-salt"  # noqa: S105  (refused like SECRET_KEY)
SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite file consult.sqlite3 in instance/
SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
# SQLite: seconds a transaction waits for the write lock (every one takes it at BEGIN). Waiters
# poll rather than queue, so a burst on several gunicorn workers can starve one for seconds:
# 500 participants at once on 4 workers gave 3 of them a 503 with 5 s, none with 20 s
# (tests/scale/test_burst.py). Raise it there, below gunicorn's --timeout (docs/deployment.md).
SQLITE_BUSY_TIMEOUT = 5.0

LANGUAGES = ("tr", "en", "ar")  # UI languages with catalogs; consultations choose among them
BABEL_DEFAULT_LOCALE = "tr"
BABEL_DEFAULT_TIMEZONE = "Europe/Istanbul"

MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # bytes per request, uploads included
WTF_CSRF_TIME_LIMIT = (
    None  # a slow respondent must not lose a page; the token lives with the session
)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Cookies only over HTTPS (browsers also accept them from http://localhost and 127.0.0.1, so
# `make run` works); CONSULT_SESSION_COOKIE_SECURE=false only to try the app over plain http
# on another address.
SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
HSTS_SECONDS = 0  # > 0 sends Strict-Transport-Security (only once served over HTTPS only)
PROXY_FIX = None  # behind a reverse proxy, e.g. {"x_for": 1, "x_proto": 1} (see consult/headers.py)

# Flask-Security-Too: staff accounts (facilitators, analysts, admins)
SECURITY_PASSWORD_HASH = "argon2"  # noqa: S105  (an algorithm name)
SECURITY_REGISTERABLE = False
SECURITY_RECOVERABLE = False
SECURITY_CHANGEABLE = True
SECURITY_TRACKABLE = True
SECURITY_TWO_FACTOR = True
SECURITY_TWO_FACTOR_ENABLED_METHODS = ["authenticator"]
SECURITY_TOTP_ISSUER = "Consult"
ADMIN_TWO_FACTOR_REQUIRED = True  # admins without an authenticator app are sent to set one up
SECURITY_TOTP_SECRETS = {"1": "dev-only-totp-secret"}
SECURITY_RETURN_GENERIC_RESPONSES = True  # no user enumeration
SECURITY_URL_PREFIX = "/account"
SECURITY_POST_LOGIN_VIEW = "/"
SECURITY_SEND_REGISTER_EMAIL = False
SECURITY_SEND_PASSWORD_CHANGE_EMAIL = False  # no mail extension: Flask-Security would fail (500)
SECURITY_USERNAME_ENABLE = False
SECURITY_I18N_DIRNAME = ["builtin", "translations"]
MAIL_SUPPRESS_SEND = True

# Throttling (Flask-Limiter; consult/ratelimits.py for the participant pages). memory:// counts
# per process: use Redis (CONSULT_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379) when several
# workers or machines serve, so they share the counts (RATELIMIT_KEY_PREFIX separates sites).
RATELIMIT_STORAGE_URI = "memory://"
# Stated, not left to Flask-Limiter: its Limiter is one object per process and would otherwise
# keep the last app's setting (an app built with RATELIMIT_ENABLED=False disabled every later one).
RATELIMIT_ENABLED = True
RATELIMIT_HEADERS_ENABLED = True  # Retry-After on 429
RATELIMIT_SWALLOW_ERRORS = True  # storage unreachable (Redis down): log it and serve unthrottled
# Unknown /i/<token> or /r/<token> links (404s) per IP address; valid links never count. Tokens
# have 256 bits, so this only keeps scanners out of the logs; 20 covers a workshop's typos.
INVITATION_GUESS_RATE_LIMIT = "20/minute"
# POSTs of one response's pages (consent, pages, Back, sending), per response: a person manages a
# few a minute; 120 leaves room for double clicks and quick Back/Continue runs.
SUBMISSION_RATE_LIMIT = "120/minute"
# Every participant POST per IP address: a ceiling against one client flooding the database,
# high because whole workshops (150 phones) and mobile carriers put many people behind one
# address: 100 a second, more than a 2-core server sustains (benchmarks/README.md), so it only
# binds on bigger servers. Counted per worker with memory://, so effectively higher without Redis.
SUBMISSION_ADDRESS_RATE_LIMIT = "6000/minute"
# unknown live-workshop join codes per IP address (a room shares one address; phones mistype)
LIVE_CODE_GUESS_RATE_LIMIT = "60/minute"
WITHDRAWAL_RATE_LIMIT = "30/minute"  # receipt codes tried on /c/<slug>/withdraw, per IP address
LOGIN_RATE_LIMIT = "10/minute"  # sign-in attempts (POST /account/login) per IP address
API_RATE_LIMIT = "120/minute"  # read-only JSON API, per token
API_ADDRESS_RATE_LIMIT = "600/minute"  # read-only JSON API, per IP address whatever the token
API_RESULTS_MAX_SECONDS = 10  # refuse results requests of slow methods estimated to take longer

DEMO_RESPONSES = 123
DEMO_SEED = 2019

# Personal links in invitation e-mails and CSVs: <BASE_URL>/i/<token>
BASE_URL = "http://127.0.0.1:5000"
# Invitation e-mail through SMTP (plain, or STARTTLS with MAIL_USE_TLS); off while MAIL_SERVER
# is None. Set the password in instance/config.py or CONSULT_MAIL_PASSWORD, never here.
MAIL_SERVER: str | None = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USERNAME: str | None = None
MAIL_PASSWORD: str | None = None
MAIL_DEFAULT_SENDER: str | None = None
MAIL_TIMEOUT = 30  # seconds per SMTP operation
