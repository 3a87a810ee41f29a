"""pairwise methods (placeholder until written)."""
