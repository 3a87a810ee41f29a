"""Secrets handed to participants: invitation and resume tokens (stored hashed), receipt codes."""

from __future__ import annotations

import hashlib
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
