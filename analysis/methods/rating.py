"""rating methods (placeholder until written)."""
