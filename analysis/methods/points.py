"""points methods (placeholder until written)."""
