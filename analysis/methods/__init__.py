"""Built-in methods; importing this package registers them all."""

from analysis.methods import ahp, bestworst, pairwise, points, ranking, rating  # noqa: F401
