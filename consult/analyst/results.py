"""Analyst routes: results."""

from __future__ import annotations
