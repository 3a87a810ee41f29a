"""Balanced designs: every item shown as evenly as possible, nothing repeated, reproducible."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest

from consult.questions.design import balanced_pairs, balanced_sets


def spread(counts: Counter, items) -> int:
    values = [counts.get(i, 0) for i in items]
    return max(values) - min(values)


@pytest.mark.parametrize("n", range(2, 12))
def test_balanced_pairs_every_prefix_is_balanced_and_distinct(n):
    items = [f"i{k}" for k in range(n)]
    every = n * (n - 1) // 2
    for seed in range(12):
        full = balanced_pairs(items, every, seed)
        assert {frozenset(p) for p in full} == {frozenset(p) for p in combinations(items, 2)}
        for count in range(1, every + 1):
            pairs = balanced_pairs(items, count, seed)
            assert pairs == full[:count]
            assert len({frozenset(p) for p in pairs}) == count  # no pair twice, either way round
            assert all(a != b for a, b in pairs)
            assert spread(Counter(x for p in pairs for x in p), items) <= 1, (n, count, seed)


def test_balanced_pairs_edge_cases():
    assert balanced_pairs([], 5, 1) == []
    assert balanced_pairs(["only"], 5, 1) == []
    assert balanced_pairs(["a", "b", "c"], 0, 1) == []
    assert balanced_pairs(["a", "b", "c"], -3, 1) == []
    assert len(balanced_pairs(["a", "b", "c"], 99, 1)) == 3


def test_balanced_pairs_are_deterministic_per_seed_and_differ_across_seeds():
    items = list("abcdefg")
    assert balanced_pairs(items, 10, 42) == balanced_pairs(items, 10, 42)
    draws = {tuple(balanced_pairs(items, 10, seed)) for seed in range(20)}
    assert len(draws) == 20
    # left and right positions are shuffled too
    firsts = Counter(a for seed in range(200) for a, _b in balanced_pairs(items, 21, seed))
    assert min(firsts.values()) > 0.6 * max(firsts.values())


@pytest.mark.parametrize("n", range(3, 13))
@pytest.mark.parametrize("size", [3, 4, 5])
def test_balanced_sets_are_balanced_with_distinct_items(n, size):
    items = list(range(n))
    for seed in range(10):
        for count in range(1, 3 * n):
            sets = balanced_sets(items, size, count, seed)
            assert len(sets) == count
            assert all(len(s) == min(size, n) == len(set(s)) for s in sets)
            assert spread(Counter(x for s in sets for x in s), items) <= 1, (n, size, count, seed)


def test_balanced_sets_are_deterministic_per_seed_and_differ_across_seeds():
    items = list("abcdef")
    assert balanced_sets(items, 4, 3, 7) == balanced_sets(items, 4, 3, 7)
    assert len({tuple(balanced_sets(items, 4, 3, seed)) for seed in range(20)}) > 15


def test_balanced_sets_edge_cases():
    assert balanced_sets(["a"], 4, 3, 1) == []
    assert balanced_sets([], 4, 3, 1) == []
    assert balanced_sets(list("abc"), 4, 0, 1) == []
    assert all(len(s) == 3 for s in balanced_sets(list("abc"), 9, 4, 1))
