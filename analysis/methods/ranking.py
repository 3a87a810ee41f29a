"""ranking methods (placeholder until written)."""
