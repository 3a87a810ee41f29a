"""Consult's analysis engine: defensible priority rankings from long-format survey data.

Pure library: numpy, pandas, scipy (and choix where it wins); never flask, sqlalchemy or consult.

Examples
--------
>>> import analysis
>>> "ranking" in analysis.KINDS
True
"""

from analysis.agreement import Agreement, kendall_w
from analysis.data import REQUIRED_COLUMNS, InputError, load, load_delphi
from analysis.delphi import DelphiResult, delphi
from analysis.groups import (
    benjamini_hochberg,
    group_differences,
    group_rank_correlations,
    kruskal_by_item,
)
from analysis.privacy import DEFAULT_MIN_GROUP_SIZE, split_by_size, suppressed_groups
from analysis.ranks import competition_rank
from analysis.registry import KINDS, Method, Profile, get_method, methods_for, register
from analysis.result import ITEM_COLUMNS, RankResult, rank
from analysis.uncertainty import BootstrapResult, bootstrap, percentile_interval
from analysis.weights import SCHEMES, compute_weights, kish_effective_n, read_shares

__all__ = [
    "DEFAULT_MIN_GROUP_SIZE",
    "ITEM_COLUMNS",
    "KINDS",
    "REQUIRED_COLUMNS",
    "SCHEMES",
    "Agreement",
    "BootstrapResult",
    "DelphiResult",
    "InputError",
    "Method",
    "Profile",
    "RankResult",
    "benjamini_hochberg",
    "bootstrap",
    "competition_rank",
    "compute_weights",
    "delphi",
    "get_method",
    "group_differences",
    "group_rank_correlations",
    "kendall_w",
    "kish_effective_n",
    "kruskal_by_item",
    "load",
    "load_delphi",
    "methods_for",
    "percentile_interval",
    "rank",
    "read_shares",
    "register",
    "split_by_size",
    "suppressed_groups",
]
