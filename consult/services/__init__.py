"""Services hold the rules: plain functions with explicit arguments; they flush, never commit."""
