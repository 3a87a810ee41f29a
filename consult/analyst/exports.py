"""Analyst routes: exports."""

from __future__ import annotations
