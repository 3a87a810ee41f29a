"""Respondent weights: who counts how much, and Kish's effective sample size.

Three schemes, each giving one non-negative weight per respondent:

``respondent``
    Every respondent counts once (weight 1).
``equal-groups``
    Every stakeholder group has the same total weight, whatever its size: a respondent in a
    group of ``n_g`` people weighs ``n / (G * n_g)`` (``n`` respondents, ``G`` groups).
``post-stratified``
    Groups get given target shares: a respondent weighs ``n * share_g / n_g``.  Shares come as
    a mapping ``{group: share}`` or a CSV file with columns ``group, share``.  Every group in the
    data needs a share and every share needs a group in the data; shares are non-negative and
    must add up to 1 within ``SHARE_TOLERANCE`` (0.01, so that 0.33 + 0.33 + 0.34 and three
    times 0.33 both pass); they are then normalised to add up to exactly 1.

All schemes are scaled so the weights add up to the number of respondents (mean weight 1): a
weighted count is then "in respondents".  With equal-sized groups, ``equal-groups`` gives every
respondent exactly 1.0 — the same as ``respondent``.

Kish's effective sample size, ``(sum w)^2 / sum w^2``, says how many equally weighted
respondents the weighted sample is worth (Kish 1965, *Survey Sampling*, section 11.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import InputError, read_table

__all__ = [
    "SCHEMES",
    "SHARE_TOLERANCE",
    "compute_weights",
    "kish_effective_n",
    "read_shares",
    "weights_frame",
]

SCHEMES = ("respondent", "equal-groups", "post-stratified")

#: How far target shares may add up away from 1 before they are refused.
SHARE_TOLERANCE = 0.01


def kish_effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (0 when every weight is 0).

    Examples
    --------
    >>> kish_effective_n(np.ones(10))
    10.0
    >>> kish_effective_n(np.array([2.0, 1.0, 1.0]))
    2.6666666666666665
    """
    w = np.asarray(weights, dtype=float)
    total_sq = float(np.dot(w, w))
    return float(w.sum() ** 2 / total_sq) if total_sq > 0 else 0.0


def read_shares(source: Any) -> dict[str, float]:
    """Target group shares from a mapping or a CSV file (path, bytes or DataFrame) ``group, share``.

    Shares may be written as numbers or percentages (``25%``).  Errors name the file's line.

    Examples
    --------
    >>> read_shares(b"group,share\\nNGO,0.5\\nAcademic,50%\\n")
    {'NGO': 0.5, 'Academic': 0.5}
    """
    if isinstance(source, Mapping):
        given: dict[str, float] = {}
        for group, share in source.items():
            try:
                given[str(group).strip()] = float(share)
            except (TypeError, ValueError):
                raise InputError(f"share for group {group!r} is not a number: {share!r}") from None
        return _check_values(given)
    table = read_table(source)
    for column in ("group", "share"):
        if column not in table.columns:
            raise InputError(
                "group shares need columns group, share; missing " + repr(column),
                line=1,
                column=column,
            )
    table.raise_pending()
    if len(table.frame) == 0:
        raise InputError("no group shares after the header", line=2)
    shares: dict[str, float] = {}
    first_line: dict[str, int | None] = {}
    for row, (group, share) in enumerate(
        zip(table.frame["group"].tolist(), table.frame["share"].tolist(), strict=True)
    ):
        name = "" if group is None or (isinstance(group, float) and np.isnan(group)) else str(group)
        name = name.strip()
        if not name:
            raise table.error("empty group", row, "group")
        if name in shares:
            raise table.error(
                f"group {name!r} has two shares (first on line {first_line[name]})", row, "group"
            )
        parsed = _parse_share(share)
        if parsed is None:
            raise table.error(f"share is not a number: {str(share).strip()!r}", row, "share")
        if parsed < 0:
            raise table.error(f"share cannot be negative: {parsed:g}", row, "share")
        shares[name] = parsed
        first_line[name] = table.locate(row, "group")[0]
    return _check_values(shares)


def _parse_share(value: Any) -> float | None:
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        number = float(value)
        return number if np.isfinite(number) else None
    text = str(value).strip()
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    try:
        number = float(text) * scale
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _check_values(shares: dict[str, float]) -> dict[str, float]:
    for group, value in shares.items():
        if not np.isfinite(value) or value < 0:
            raise InputError(f"share for group {group!r} must be a non-negative number")
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE + 1e-9:
        hint = " (give fractions, not percentages)" if abs(total - 100) <= 1 else ""
        raise InputError(f"group shares add up to {total:g}, not 1{hint}")
    return shares


def compute_weights(
    groups: np.ndarray, scheme: str = "respondent", shares: Any = None
) -> np.ndarray:
    """One weight per respondent under ``scheme``; the weights add up to the number of respondents.

    Parameters
    ----------
    groups : array of str
        Stakeholder group per respondent (``Profile.groups``).
    scheme : {"respondent", "equal-groups", "post-stratified"}
        See the module docstring.
    shares : mapping or CSV source, optional
        Target shares per group; required for ``post-stratified`` and refused otherwise.

    Examples
    --------
    >>> groups = np.array(["NGO", "NGO", "NGO", "Academic"], dtype=object)
    >>> compute_weights(groups, "equal-groups")
    array([0.66666667, 0.66666667, 0.66666667, 2.        ])
    >>> compute_weights(groups, "post-stratified", {"NGO": 0.25, "Academic": 0.75})
    array([0.33333333, 0.33333333, 0.33333333, 3.        ])
    """
    groups = np.asarray(groups, dtype=object)
    n = len(groups)
    if scheme not in SCHEMES:
        raise InputError(f"unknown weights {scheme!r} (choose from {', '.join(SCHEMES)})")
    if scheme != "post-stratified" and shares is not None:
        raise InputError("group shares are only used with --weights post-stratified")
    if scheme == "respondent" or n == 0:
        return np.ones(n)
    labels, codes, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    if scheme == "equal-groups":
        return n / (len(labels) * sizes[codes].astype(float))
    if shares is None:
        raise InputError("post-stratified weights need group shares (--group-shares FILE.csv)")
    target = read_shares(shares)
    missing = [g for g in labels.tolist() if g not in target]
    if missing:
        raise InputError(
            f"no share given for group {missing[0]!r} "
            f"(groups in the data: {', '.join(map(str, labels.tolist()))})"
        )
    unknown = sorted(set(target) - set(labels.tolist()))
    if unknown:
        raise InputError(f"share given for group {unknown[0]!r}, which has no respondents")
    total = sum(target.values())
    share = np.array([target[g] / total for g in labels.tolist()])
    return n * share[codes] / sizes[codes]


def weights_frame(groups: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    """Per-group summary: respondents, total weight and share of the total.

    Examples
    --------
    >>> weights_frame(np.array(["a", "a", "b"], dtype=object), np.array([0.75, 0.75, 1.5]))
      group  n  weight  share
    0     a  2     1.5    0.5
    1     b  1     1.5    0.5
    """
    frame = pd.DataFrame({"group": np.asarray(groups, dtype=object), "w": weights})
    out = frame.groupby("group", sort=True).agg(n=("w", "size"), weight=("w", "sum"))
    out["share"] = out["weight"] / out["weight"].sum()
    return out.reset_index()
