"""Balanced comparison designs, drawn per response from a seed (stable across page loads)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def balanced_pairs(items: Sequence[T], count: int, seed: int) -> list[tuple[T, T]]:
    """``count`` distinct pairs in which every item appears as evenly as possible.

    The circle method of round-robin scheduling gives rounds of disjoint pairs covering every
    pair once; taking whole rounds first keeps appearances balanced (each item at most one more
    than any other). Item order and left/right position are shuffled by ``seed``.
    """
    rng = random.Random(seed)  # noqa: S311  (a design, not a secret)
    pool = list(items)
    rng.shuffle(pool)
    if len(pool) < 2:
        return []
    if len(pool) % 2:
        pool.append(None)  # type: ignore[arg-type]  (a bye)
    n = len(pool)
    rounds: list[list[tuple[T, T]]] = []
    ring = pool[1:]
    for _ in range(n - 1):
        lineup = [pool[0], *ring]
        pairs = [(lineup[i], lineup[n - 1 - i]) for i in range(n // 2)]
        rounds.append([p for p in pairs if None not in p])
        ring = ring[-1:] + ring[:-1]
    out: list[tuple[T, T]] = []
    for round_ in rounds:
        rng.shuffle(round_)
        out.extend((a, b) if rng.random() < 0.5 else (b, a) for a, b in round_)
    return out[: max(0, count)]


def balanced_sets(items: Sequence[T], set_size: int, count: int, seed: int) -> list[tuple[T, ...]]:
    """``count`` sets of ``set_size`` distinct items; every item shown as evenly as possible.

    Items are dealt from successive shuffles of the whole list (so each pass shows every item
    once); a set never repeats an item.
    """
    rng = random.Random(seed)  # noqa: S311  (a design, not a secret)
    size = min(set_size, len(items))
    if size < 2:
        return []
    deck: list[T] = []
    sets: list[tuple[T, ...]] = []
    while len(sets) < count:
        current: list[T] = []
        while len(current) < size:
            if not deck:
                deck = list(items)
                rng.shuffle(deck)
            pick = next((i for i, x in enumerate(deck) if x not in current), None)
            if pick is None:  # the rest of the deck is already in this set: reshuffle
                deck = []
                continue
            current.append(deck.pop(pick))
        sets.append(tuple(current))
    return sets
