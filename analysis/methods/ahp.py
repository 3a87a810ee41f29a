"""ahp methods (placeholder until written)."""
