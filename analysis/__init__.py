"""Consult's analysis engine: defensible priority rankings from long-format survey data.

Pure library: numpy, pandas, scipy (and choix where it wins); never flask, sqlalchemy or consult.
"""

from analysis.ranks import competition_rank
from analysis.registry import KINDS, Method, Profile, get_method, methods_for, register

__all__ = [
    "KINDS",
    "Method",
    "Profile",
    "competition_rank",
    "get_method",
    "methods_for",
    "register",
]
