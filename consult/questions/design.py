"""Balanced comparison designs, drawn per response from a seed (stable across page loads)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def balanced_pairs(items: Sequence[T], count: int, seed: int) -> list[tuple[T, T]]:
    """``count`` distinct pairs in which every item appears as evenly as possible.

    Every prefix of the full list of pairs keeps appearances balanced (each item at most one
    more than any other), so taking the first ``count`` is balanced too. With an even number of
    items the circle method of round-robin scheduling gives rounds of disjoint pairs covering
    every pair once. With an odd number, rounds with a bye cannot be cut anywhere without
    imbalance, so Walecki's decomposition into Hamiltonian cycles is used, each cycle taken in
    an order that stays balanced (``_cycle_order``). Item order and left/right position are
    shuffled by ``seed``.
    """
    rng = random.Random(seed)  # noqa: S311  (a design, not a secret)
    pool = list(items)
    rng.shuffle(pool)
    if len(pool) < 2:
        return []
    even = len(pool) % 2 == 0
    blocks = _round_robin(pool) if even else _walecki(pool, rng)
    out: list[tuple[T, T]] = []
    for block in blocks:
        if even:  # any order of a round's disjoint pairs is balanced
            rng.shuffle(block)
        out.extend((a, b) if rng.random() < 0.5 else (b, a) for a, b in block)
    return out[: max(0, count)]


def _round_robin(pool: list[T]) -> list[list[tuple[T, T]]]:
    """Rounds of disjoint pairs covering every pair once (an even number of items)."""
    n = len(pool)
    rounds: list[list[tuple[T, T]]] = []
    ring = pool[1:]
    for _ in range(n - 1):
        lineup = [pool[0], *ring]
        rounds.append([(lineup[i], lineup[n - 1 - i]) for i in range(n // 2)])
        ring = ring[-1:] + ring[:-1]
    return rounds


def _walecki(pool: list[T], rng: random.Random) -> list[list[tuple[T, T]]]:
    """Hamiltonian cycles covering every pair once (an odd number of items), in balanced order."""
    m = (len(pool) - 1) // 2
    hub, ring = pool[-1], pool[:-1]  # ring has 2m items, indexed modulo 2m
    cycles = []
    for i in range(m):
        path = [i]
        for k in range(1, m + 1):
            path.append(i + k)
            if k < m:
                path.append(i - k)
        cycles.append(_cycle_order([hub, *(ring[j % (2 * m)] for j in path)], rng))
    rng.shuffle(cycles)
    return cycles


def _cycle_order(cycle: list[T], rng: random.Random) -> list[tuple[T, T]]:
    """The edges of an odd cycle ``v0 … v(n-1)`` in an order whose every prefix is balanced.

    Even edges first (disjoint; they miss only the last vertex), then the odd edge touching the
    last vertex, the other odd edges, and finally the closing edge ``(v(n-1), v0)``.
    """
    shift = rng.randrange(len(cycle))
    v = cycle[shift:] + cycle[:shift]
    n = len(v)
    edge = [(v[j], v[(j + 1) % n]) for j in range(n)]
    first = [edge[j] for j in range(0, n - 1, 2)]
    second = [edge[j] for j in range(1, n - 2, 2)]
    rng.shuffle(first)
    rng.shuffle(second)
    return [*first, edge[n - 2], *second, edge[n - 1]]


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
