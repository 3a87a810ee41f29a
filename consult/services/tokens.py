"""Secrets handed to participants: invitation and resume tokens (stored hashed), receipt codes."""

from __future__ import annotations

import hashlib
import re
import secrets

import numpy as np

# Crockford's base32 without I, L, O, U: nothing to misread when a receipt is typed back
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_token() -> str:
    """A URL-safe token with 256 bits of randomness."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored (the token itself never is)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_receipt_code(rng: np.random.Generator | None = None) -> str:
    """A receipt code like ``7K2M-Q9XD-4TPA`` (60 bits); ``rng`` makes it deterministic (demo)."""
    if rng is None:
        chars = [secrets.choice(RECEIPT_ALPHABET) for _ in range(12)]
    else:
        chars = [RECEIPT_ALPHABET[i] for i in rng.integers(0, len(RECEIPT_ALPHABET), 12)]
    code = "".join(chars)
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


# letters people type for the digits they saw: a typed code is read with these (Crockford)
READ_AS_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_receipt(code: str | None) -> str:
    """A receipt code as typed (any case; spaces, hyphens or dashes anywhere; O for 0, I or L
    for 1) as stored: ``XXXX-XXXX-XXXX`` (the demo's codes keep their ``DEMO-`` prefix); empty
    when it cannot be one."""
    compact = re.sub(r"[\s\-‐‑–—_.]", "", (code or "").upper())
    prefix = ""
    if len(compact) == 16 and compact.startswith("DEMO"):
        prefix, compact = "DEMO-", compact[4:]
    compact = compact.translate(READ_AS_DIGITS)
    if len(compact) != 12 or any(c not in RECEIPT_ALPHABET for c in compact):
        return ""
    return f"{prefix}{compact[:4]}-{compact[4:8]}-{compact[8:]}"


def mask_receipt(code: str) -> str:
    """``7K2M-Q9XD-4TPA`` → ``****-****-4TPA``: enough to match a request, not to use it."""
    return "****-****-" + code[-4:]
