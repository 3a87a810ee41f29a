"""Delphi rounds: per item and round, the median answer, its spread, agreement and consensus;
whether the panel's answers were still moving between rounds; and whether to stop.

Conventions (pinned, and tested)
--------------------------------
* **Median and IQR** use numpy's default quantile: linear interpolation between order
  statistics (Hyndman & Fan 1996 definition 7, R's ``type = 7``).  IQR = Q3 - Q1.
* **Share agreeing**: the share of the round's answers with ``value >= agree_min``.
  **Share disagreeing** (only with ``disagree_max``): the share with ``value <= disagree_max``.
* **Consensus** when ``IQR <= iqr_max`` *and* ``share_agree >= agree_share`` (``direction``
  ``"agree"``), or — with ``disagree_max`` — ``IQR <= iqr_max`` *and*
  ``share_disagree >= agree_share`` (``direction`` ``"disagree"``: the panel agrees the item
  does *not* matter, "consensus out" in core-outcome-set Delphi studies).  Defaults:
  ``iqr_max = 1`` — on a 4- or 5-point scale an IQR of at most 1 is the most common consensus
  criterion (von der Gracht 2012, "Consensus measurement in Delphi studies", *Technological
  Forecasting & Social Change* 79(8):1525–1536); ``agree_share = 0.75`` — the median threshold of
  percent agreement across Delphi studies (Diamond et al. 2014, "Defining consensus: a
  systematic review recommends methodologic criteria for reporting of Delphi studies",
  *Journal of Clinical Epidemiology* 67(4):401–409); ``agree_min = 4`` — "agree" or "strongly
  agree" on a 1–5 scale (use 7 on the RAND/UCLA 1–9 scale).  Core-outcome-set studies often use
  70 % instead (the "70/15" rule of the COMET initiative): pass ``agree_share=0.7``.
* **Stability** compares two rounds on the respondents who answered the item in both:
  ``share_changed`` is the share whose answer differs; ``wilcoxon_p`` is the Wilcoxon
  signed-rank test of the paired differences (``scipy.stats.wilcoxon`` with
  ``zero_method="wilcox"``: unchanged answers are dropped, as in Wilcoxon's original test;
  scipy's default method: exact for small samples, normal approximation otherwise).  When
  nobody changed, ``wilcoxon_p = 1.0``.  Fields are ``None`` with no respondent in both rounds.
  An item is **stable** when ``share_changed <= stable_share`` (default 0.15: the 15 % change
  criterion of Scheibe, Skutsch & Schofer 1975, "Experiments in Delphi methodology", in
  Linstone & Turoff (eds.), *The Delphi Method*, 262–287) *and* the test finds no systematic
  shift (``wilcoxon_p >= significance``, default 0.05).  ``stability`` compares the last two
  rounds (by round number; ``None`` with a single round); ``transitions`` every pair of
  consecutive rounds.
* **Stopping**: an item is *settled* in the last round when it is in consensus there or stable
  since the round before; consensus alone is not a stopping criterion (Dajani, Sincoff &
  Talley 1979, "Stability and agreement criteria for the termination of Delphi studies",
  *Technological Forecasting & Social Change* 13:83–90; von der Gracht 2012), so an unstable
  item without consensus keeps the study going.
* Every answer counts once (no weighting); the ``group`` column, if any, is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.data import load_delphi

__all__ = [
    "AGREE_MIN",
    "AGREE_SHARE",
    "IQR_MAX",
    "SIGNIFICANCE",
    "STABLE_SHARE",
    "DelphiResult",
    "delphi",
]

AGREE_MIN = 4.0
AGREE_SHARE = 0.75
IQR_MAX = 1.0
STABLE_SHARE = 0.15
SIGNIFICANCE = 0.05
_EPS = 1e-12

ITEM_COLUMNS = ["item", "round", "n", "median", "q1", "q3", "iqr", "share_agree", "consensus"]
TRANSITION_COLUMNS = [
    "item",
    "from_round",
    "to_round",
    "share_changed",
    "wilcoxon_p",
    "n_paired",
    "stable",
]


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    return value


@dataclass
class DelphiResult:
    """Per item and round summaries, answer counts, and stability between rounds.

    Attributes
    ----------
    items : DataFrame
        ``item, round, n, median, q1, q3, iqr, share_agree, consensus, direction`` (with
        ``disagree_max`` also ``share_disagree``), sorted by item then round.  ``direction`` is
        ``"agree"``, ``"disagree"`` or None (no consensus).
    stability : DataFrame or None
        ``item, share_changed, wilcoxon_p, n_paired, stable`` between the last two rounds;
        None with a single round.
    transitions : DataFrame
        ``item, from_round, to_round, share_changed, wilcoxon_p, n_paired, stable`` for every
        pair of consecutive rounds (empty with a single round).
    counts : DataFrame
        ``item, round, value, count``: how many answers had each value (values nobody gave are
        absent), sorted by item, round and value.
    agree_min, agree_share, iqr_max : float
        The consensus thresholds used.
    disagree_max : float or None
        The largest value counting as disagreeing, if given.
    stable_share, significance : float
        The stability thresholds used.
    """

    items: pd.DataFrame
    stability: pd.DataFrame | None
    agree_min: float
    agree_share: float
    iqr_max: float
    transitions: pd.DataFrame | None = None
    counts: pd.DataFrame | None = None
    disagree_max: float | None = None
    stable_share: float = STABLE_SHARE
    significance: float = SIGNIFICANCE

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``python -m analysis delphi``.

        ``items``: ``item, round, n, median, iqr, share_agree, consensus`` (with
        ``disagree_max`` also ``share_disagree`` and ``direction``); ``stability``:
        ``item, share_changed, wilcoxon_p`` or None.
        """
        keys = ["item", "round", "n", "median", "iqr", "share_agree", "consensus"]
        if self.disagree_max is not None:
            keys += ["share_disagree", "direction"]
        items = [
            {k: _clean(v) for k, v in row.items()} for row in self.items[keys].to_dict("records")
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

    def first_consensus(self) -> dict[Any, int | None]:
        """The first round in which each item reached consensus (None: never).

        Examples
        --------
        >>> frame = pd.DataFrame({
        ...     "respondent": ["a", "b", "c", "d"] * 2,
        ...     "round": [1] * 4 + [2] * 4,
        ...     "item": "X",
        ...     "value": [1, 3, 5, 4, 4, 4, 5, 4],
        ... })
        >>> delphi(frame).first_consensus()
        {'X': 2}
        """
        out: dict[Any, int | None] = {}
        for row in self.items.itertuples(index=False):
            out.setdefault(row.item, None)
            if row.consensus and out[row.item] is None:
                out[row.item] = int(row.round)
        return out

    def status(self) -> pd.DataFrame:
        """Per item, where it stands in the last round it was answered in.

        Returns
        -------
        DataFrame
            ``item, round, consensus, direction, stable, settled``: ``stable`` compares the
            last round with the one before (None when it cannot be judged: a single round,
            or nobody answered both); ``settled`` is consensus or stability.  A study may
            stop when every item is settled.

        Examples
        --------
        >>> frame = pd.DataFrame({
        ...     "respondent": ["a", "b", "c", "d"] * 2,
        ...     "round": [1] * 4 + [2] * 4,
        ...     "item": ["X"] * 4 + ["X"] * 4,
        ...     "value": [1, 3, 5, 2, 1, 3, 5, 2],
        ... })
        >>> delphi(frame).status()
          item  round  consensus direction stable  settled
        0    X      2      False      None   True     True
        """
        stable: dict[Any, Any] = {}
        if self.stability is not None:
            stable = dict(zip(self.stability["item"], self.stability["stable"], strict=True))
        last_round = int(self.items["round"].max()) if len(self.items) else None
        rows = []
        for item, group in self.items.groupby("item", sort=True):
            last = group.sort_values("round").iloc[-1]
            flag = stable.get(item) if int(last["round"]) == last_round else None
            flag = None if flag is None or flag is pd.NA else bool(flag)
            consensus = bool(last["consensus"])
            rows.append(
                {
                    "item": item,
                    "round": int(last["round"]),
                    "consensus": consensus,
                    "direction": last["direction"],
                    "stable": flag,
                    "settled": consensus or bool(flag),
                }
            )
        columns = ["item", "round", "consensus", "direction", "stable", "settled"]
        return _frame(rows, columns, {"direction", "stable"})


def _frame(rows: list[dict[str, Any]], columns: list[str], objects: set[str]) -> pd.DataFrame:
    """A DataFrame whose ``objects`` columns keep Python values (``None``, ``bool``, ``str``)."""
    return pd.DataFrame(
        {
            c: pd.Series([r[c] for r in rows], dtype=object if c in objects else None)
            for c in columns
        },
        columns=columns,
    )


def _wilcoxon_p(differences: np.ndarray) -> float:
    if not np.any(differences != 0):
        return 1.0
    return float(stats.wilcoxon(differences, zero_method="wilcox").pvalue)


def _transitions(
    frame: pd.DataFrame, rounds: list[int], stable_share: float, significance: float
) -> pd.DataFrame:
    """Stability of every item between each pair of consecutive rounds."""
    records = []
    items = sorted(set(frame["item"].tolist()))
    for previous, last in pairwise(rounds):
        before = frame[frame["round"] == previous].set_index(["respondent", "item"])["value"]
        after = frame[frame["round"] == last].set_index(["respondent", "item"])["value"]
        paired = pd.concat({"before": before, "after": after}, axis=1, join="inner")
        present = set(paired.index.get_level_values("item")) if not paired.empty else set()
        for item in items:
            record: dict[str, Any] = {"item": item, "from_round": previous, "to_round": last}
            if item not in present:
                records.append(
                    {
                        **record,
                        "share_changed": None,
                        "wilcoxon_p": None,
                        "n_paired": 0,
                        "stable": None,
                    }
                )
                continue
            pair = paired.xs(item, level="item")
            d = pair["after"].to_numpy(float) - pair["before"].to_numpy(float)
            changed = float(np.mean(d != 0))
            p = _wilcoxon_p(d)
            records.append(
                {
                    **record,
                    "share_changed": changed,
                    "wilcoxon_p": p,
                    "n_paired": int(d.size),
                    "stable": bool(changed <= stable_share + _EPS and p >= significance - _EPS),
                }
            )
    return _frame(records, TRANSITION_COLUMNS, {"stable"})


def delphi(
    data: Any,
    *,
    agree_min: float = AGREE_MIN,
    agree_share: float = AGREE_SHARE,
    iqr_max: float = IQR_MAX,
    disagree_max: float | None = None,
    stable_share: float = STABLE_SHARE,
    significance: float = SIGNIFICANCE,
) -> DelphiResult:
    """Summarise Delphi rounds: median, IQR, share agreeing, consensus and stability.

    Parameters
    ----------
    data : DataFrame or CSV source
        Columns ``respondent, round, item, value`` (``group`` optional, ignored).
    agree_min : float
        Smallest value that counts as agreeing (default 4, on a 1–5 scale).
    agree_share : float
        Share agreeing (or disagreeing) needed for consensus (default 0.75).
    iqr_max : float
        Largest IQR compatible with consensus (default 1).
    disagree_max : float, optional
        Largest value that counts as disagreeing (e.g. 2 on a 1–5 scale); given, consensus
        that an item does not matter is recognised too.  Must be below ``agree_min``.
    stable_share : float
        Largest share of respondents changing their answer for an item to be stable
        (default 0.15).
    significance : float
        A Wilcoxon p-value below it is a systematic shift: not stable (default 0.05).

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
    >>> result.counts[result.counts["round"] == 2]
              item  round  value  count
    3  Data report      2    4.0      3
    4  Data report      2    5.0      1
    """
    for name, value in (
        ("agree_share", agree_share),
        ("iqr_max", iqr_max),
        ("stable_share", stable_share),
        ("significance", significance),
    ):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number")
    if not np.isfinite(agree_min):
        raise ValueError("agree_min must be a number")
    if agree_share > 1:
        raise ValueError("agree_share is a share between 0 and 1")
    if stable_share > 1:
        raise ValueError("stable_share is a share between 0 and 1")
    if significance > 1:
        raise ValueError("significance is a probability between 0 and 1")
    if disagree_max is not None and (not np.isfinite(disagree_max) or disagree_max >= agree_min):
        raise ValueError("disagree_max must be a number below agree_min")
    frame = load_delphi(data)
    rows = []
    count_rows = []
    for (item, round_), values in frame.groupby(["item", "round"], sort=False)["value"]:
        v = values.to_numpy(dtype=float)
        q1, median, q3 = np.quantile(v, [0.25, 0.5, 0.75])
        share = float(np.mean(v >= agree_min))
        iqr = float(q3 - q1)
        narrow = iqr <= iqr_max + _EPS
        direction = "agree" if narrow and share >= agree_share - _EPS else None
        row = {
            "item": item,
            "round": int(round_),
            "n": int(v.size),
            "median": float(median),
            "q1": float(q1),
            "q3": float(q3),
            "iqr": iqr,
            "share_agree": share,
        }
        if disagree_max is not None:
            against = float(np.mean(v <= disagree_max))
            row["share_disagree"] = against
            if direction is None and narrow and against >= agree_share - _EPS:
                direction = "disagree"
        row["consensus"] = direction is not None
        row["direction"] = direction
        rows.append(row)
        points, numbers = np.unique(v, return_counts=True)
        count_rows += [
            {"item": item, "round": int(round_), "value": float(p), "count": int(k)}
            for p, k in zip(points, numbers, strict=True)
        ]
    rows.sort(key=lambda r: (r["item"], r["round"]))
    columns = [*ITEM_COLUMNS, "direction"]
    if disagree_max is not None:
        columns.insert(columns.index("consensus"), "share_disagree")
    items = _frame(rows, columns, {"direction"})
    count_rows.sort(key=lambda r: (r["item"], r["round"], r["value"]))
    counts = pd.DataFrame(count_rows, columns=["item", "round", "value", "count"])

    rounds = sorted(set(frame["round"].tolist()))
    transitions = _transitions(frame, rounds, stable_share, significance)
    stability = None
    if len(rounds) >= 2:
        last = transitions[transitions["to_round"] == rounds[-1]]
        stability = last.drop(columns=["from_round", "to_round"]).reset_index(drop=True)
    return DelphiResult(
        items,
        stability,
        float(agree_min),
        float(agree_share),
        float(iqr_max),
        transitions=transitions,
        counts=counts,
        disagree_max=None if disagree_max is None else float(disagree_max),
        stable_share=float(stable_share),
        significance=float(significance),
    )
