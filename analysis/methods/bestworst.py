"""bestworst methods (placeholder until written)."""
