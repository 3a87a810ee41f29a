"""Analyst routes: reports."""

from __future__ import annotations
