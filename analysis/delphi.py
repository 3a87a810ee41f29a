"""Delphi rounds: per item and round, the median answer, its spread, agreement and consensus;
and whether the panel's answers were still moving between the last two rounds.

Conventions (pinned, and tested)
--------------------------------
* **Median and IQR** use numpy's default quantile: linear interpolation between order
  statistics (Hyndman & Fan 1996 definition 7, R's ``type = 7``).  IQR = Q3 - Q1.
* **Share agreeing**: the share of the round's answers with ``value >= agree_min``.
* **Consensus** when ``IQR <= iqr_max`` *and* ``share_agree >= agree_share``.  Defaults:
  ``iqr_max = 1`` — on a 4- or 5-point scale an IQR of at most 1 is the most common consensus
  criterion (von der Gracht 2012, "Consensus measurement in Delphi studies", *Technological
  Forecasting & Social Change* 79(8):1525–1536); ``agree_share = 0.75`` — the median threshold of
  percent agreement across Delphi studies (Diamond et al. 2014, "Defining consensus: a
  systematic review recommends methodologic criteria for reporting of Delphi studies",
  *Journal of Clinical Epidemiology* 67(4):401–409); ``agree_min = 4`` — "agree" or "strongly
  agree" on a 1–5 scale (use 7 on the RAND/UCLA 1–9 scale).
* **Stability** compares the last two rounds (by round number) on the respondents who answered
  the item in both: ``share_changed`` is the share whose answer differs; ``wilcoxon_p`` is the
  Wilcoxon signed-rank test of the paired differences (``scipy.stats.wilcoxon`` with
  ``zero_method="wilcox"``: unchanged answers are dropped, as in Wilcoxon's original test;
  scipy's default method: exact for small samples, normal approximation otherwise).  When
  nobody changed, ``wilcoxon_p = 1.0``.  Fields are ``None`` with no respondent in both rounds;
  ``stability`` is ``None`` with a single round.
* Every answer counts once (no weighting); the ``group`` column, if any, is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.data import load_delphi

__all__ = ["AGREE_MIN", "AGREE_SHARE", "IQR_MAX", "DelphiResult", "delphi"]

AGREE_MIN = 4.0
AGREE_SHARE = 0.75
IQR_MAX = 1.0


def _clean(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    return value


@dataclass
class DelphiResult:
    """Per item and round summaries, and stability between the last two rounds.

    Attributes
    ----------
    items : DataFrame
        ``item, round, n, median, iqr, share_agree, consensus``, sorted by item then round.
    stability : DataFrame or None
        ``item, share_changed, wilcoxon_p, n_paired``; None with a single round.
    agree_min, agree_share, iqr_max : float
        The thresholds used.
    """

    items: pd.DataFrame
    stability: pd.DataFrame | None
    agree_min: float
    agree_share: float
    iqr_max: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``python -m analysis delphi``."""
        items = [
            {k: _clean(v) for k, v in row.items()}
            for row in self.items[
                ["item", "round", "n", "median", "iqr", "share_agree", "consensus"]
            ].to_dict("records")
        ]
        stability = None
        if self.stability is not None:
            stability = [
                {k: _clean(v) for k, v in row.items()}
                for row in self.stability[["item", "share_changed", "wilcoxon_p"]].to_dict(
                    "records"
                )
            ]
        return {"items": items, "stability": stability}


def _wilcoxon_p(differences: np.ndarray) -> float:
    if not np.any(differences != 0):
        return 1.0
    return float(stats.wilcoxon(differences, zero_method="wilcox").pvalue)


def delphi(
    data: Any,
    *,
    agree_min: float = AGREE_MIN,
    agree_share: float = AGREE_SHARE,
    iqr_max: float = IQR_MAX,
) -> DelphiResult:
    """Summarise Delphi rounds: median, IQR, share agreeing, consensus and stability.

    Parameters
    ----------
    data : DataFrame or CSV source
        Columns ``respondent, round, item, value`` (``group`` optional, ignored).
    agree_min : float
        Smallest value that counts as agreeing (default 4, on a 1–5 scale).
    agree_share : float
        Share agreeing needed for consensus (default 0.75).
    iqr_max : float
        Largest IQR compatible with consensus (default 1).

    Returns
    -------
    DelphiResult

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "respondent": ["a", "b", "c", "d"] * 2,
    ...     "round": [1] * 4 + [2] * 4,
    ...     "item": "Data report",
    ...     "value": [2, 4, 5, 4, 4, 4, 5, 4],
    ... })
    >>> result = delphi(frame)
    >>> result.items[["round", "median", "iqr", "share_agree", "consensus"]]
       round  median   iqr  share_agree  consensus
    0      1     4.0  0.75         0.75       True
    1      2     4.0  0.25         1.00       True
    >>> result.to_dict()["stability"]
    [{'item': 'Data report', 'share_changed': 0.25, 'wilcoxon_p': 1.0}]
    """
    for name, value in (("agree_share", agree_share), ("iqr_max", iqr_max)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number")
    if not np.isfinite(agree_min):
        raise ValueError("agree_min must be a number")
    if agree_share > 1:
        raise ValueError("agree_share is a share between 0 and 1")
    frame = load_delphi(data)
    rows = []
    for (item, round_), values in frame.groupby(["item", "round"], sort=False)["value"]:
        v = values.to_numpy(dtype=float)
        q1, median, q3 = np.quantile(v, [0.25, 0.5, 0.75])
        share = float(np.mean(v >= agree_min))
        iqr = float(q3 - q1)
        rows.append(
            {
                "item": item,
                "round": int(round_),
                "n": int(v.size),
                "median": float(median),
                "iqr": iqr,
                "share_agree": share,
                "consensus": bool(iqr <= iqr_max + 1e-12 and share >= agree_share - 1e-12),
            }
        )
    rows.sort(key=lambda r: (r["item"], r["round"]))
    items = pd.DataFrame(rows)

    rounds = sorted(set(frame["round"].tolist()))
    stability = None
    if len(rounds) >= 2:
        previous, last = rounds[-2], rounds[-1]
        before = frame[frame["round"] == previous].set_index(["respondent", "item"])["value"]
        after = frame[frame["round"] == last].set_index(["respondent", "item"])["value"]
        paired = pd.concat({"before": before, "after": after}, axis=1, join="inner")
        records = []
        for item in sorted(set(frame["item"].tolist())):
            if paired.empty or item not in paired.index.get_level_values("item"):
                records.append(
                    {"item": item, "share_changed": None, "wilcoxon_p": None, "n_paired": 0}
                )
                continue
            pair = paired.xs(item, level="item")
            d = pair["after"].to_numpy(float) - pair["before"].to_numpy(float)
            records.append(
                {
                    "item": item,
                    "share_changed": float(np.mean(d != 0)),
                    "wilcoxon_p": _wilcoxon_p(d),
                    "n_paired": int(d.size),
                }
            )
        stability = pd.DataFrame(
            records, columns=["item", "share_changed", "wilcoxon_p", "n_paired"]
        )
    return DelphiResult(items, stability, float(agree_min), float(agree_share), float(iqr_max))
