"""Agreement between respondents: Kendall's coefficient of concordance W, with the Friedman test.

Respondents are the judges and items the objects.  Each respondent's row of ``Profile.matrix``
(their rating, rank, points or best-minus-worst count per item) is turned into ranks 1..n with
*average ranks for ties* (two items sharing 2nd and 3rd place both get 2.5).  W runs from 0 (no
agreement beyond chance) to 1 (every respondent orders the items the same way).

Conventions (pinned, and tested)
--------------------------------
* **Tie correction** (Kendall & Babington Smith 1939; Siegel & Castellan 1988, section 9.4)::

      W = 12 S / (m^2 (n^3 - n) - m T),   T = sum over judges and tie groups of (t^3 - t)

  with ``m`` judges, ``n`` items and ``S`` the sum of squared deviations of the items' rank
  sums from their mean.
* **Chi-square** ``m (n - 1) W`` with ``n - 1`` degrees of freedom and its upper-tail p-value.
  This number *is* the Friedman test statistic (with the usual tie correction), so
  ``chi2``/``p_value`` are the Friedman test of "all items are equally important"; it equals
  ``scipy.stats.friedmanchisquare`` on the same rows.
* **Missing values.**  Only respondents who gave a value for *every* item take part (complete
  rows); the others are left out of W.  Ranking data is always complete (unranked items are
  tied below the ranked ones); ratings with "don't know" answers may lose respondents.
* **Unweighted.**  Every complete respondent counts once, whatever the weighting scheme: W and
  the Friedman test are defined for equally weighted judges.
* W is undefined (``None``) with fewer than 2 judges, fewer than 2 items, or when every judge
  ties every item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Agreement", "kendall_w"]


@dataclass(frozen=True)
class Agreement:
    """Kendall's W with its chi-square test (= the Friedman test).

    Attributes
    ----------
    kendall_w, chi2 : float
    df : int
    p_value : float
    n_judges : int
        Respondents with a complete row (the judges actually used).
    n_items : int
    """

    kendall_w: float
    chi2: float
    df: int
    p_value: float
    n_judges: int
    n_items: int

    def to_dict(self) -> dict[str, float | int]:
        """The JSON fields: ``kendall_w``, ``chi2``, ``df``, ``p_value``."""
        return {
            "kendall_w": self.kendall_w,
            "chi2": self.chi2,
            "df": self.df,
            "p_value": self.p_value,
        }


def kendall_w(matrix: np.ndarray) -> Agreement | None:
    """Kendall's W (tie-corrected) of a respondents x items value matrix.

    Direction does not matter (ranks or ratings give the same W) as long as it is the same for
    every respondent.  Rows with a missing value (NaN) are left out.

    Parameters
    ----------
    matrix : ndarray
        ``(n_respondents, n_items)``; NaN where missing.

    Returns
    -------
    Agreement or None
        None when W is undefined (see the module docstring).

    Examples
    --------
    Three judges ranking four items, worked by hand: the rank sums are 4, 6, 9 and 11 (mean
    7.5), so S = 12.25 + 2.25 + 2.25 + 12.25 = 29 and W = 12 * 29 / (3^2 * (4^3 - 4)) = 0.6444;
    chi-square = 3 * 3 * W = 5.8 on 3 degrees of freedom.

    >>> m = np.array([[1, 2, 3, 4], [1, 3, 2, 4], [2, 1, 4, 3]], dtype=float)
    >>> w = kendall_w(m)
    >>> round(w.kendall_w, 4), round(w.chi2, 12), w.df, round(w.p_value, 4)
    (0.6444, 5.8, 3, 0.1218)
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2:
        raise ValueError("matrix must be 2-dimensional")
    x = x[~np.isnan(x).any(axis=1)]
    m, n = x.shape
    if m < 2 or n < 2:
        return None
    ranks = stats.rankdata(x, axis=1)  # average ranks for ties
    # size of each value's tie group: sum over elements of (t^2 - 1) = sum over groups of t^3 - t
    tie_size = stats.rankdata(x, method="max", axis=1) - stats.rankdata(x, method="min", axis=1) + 1
    ties = float((tie_size**2 - 1).sum())
    sums = ranks.sum(axis=0)
    s = float(((sums - sums.mean()) ** 2).sum())
    denominator = m**2 * (n**3 - n) - m * ties
    if denominator <= 0:
        return None
    w = min(1.0, max(0.0, 12.0 * s / denominator))
    chi2 = m * (n - 1) * w
    p = float(stats.chi2.sf(chi2, n - 1))
    return Agreement(float(w), float(chi2), n - 1, p, m, n)
