"""Ranking methods: borda, mean-rank, schulze, copeland, plackett-luce.

Hand-worked cases (the working is in the comments), a published example (Wikipedia, "Schulze
method"), and comparisons with independent implementations used only here: pref_voting for
Borda, Schulze and Copeland, choix for Plackett-Luce.
"""

from __future__ import annotations

import choix
import numpy as np
import pandas as pd
import pytest
from pref_voting.margin_based_methods import beat_path_defeat
from pref_voting.profiles import Profile as PVProfile
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.scoring_methods import symmetric_borda_scores

import analysis.methods.ranking as ranking
from analysis.ranks import competition_rank
from analysis.registry import get_method, methods_for

METHODS = ["borda", "mean-rank", "schulze", "copeland", "plackett-luce"]


# ------------------------------------------------------------------------------------------
# helpers


def levels(ballot) -> list[list[str]]:
    """A ballot as tie levels: "abc" is a > b > c; [["a"], ["b", "c"]] is a > b = c."""
    if isinstance(ballot, str):
        return [[c] for c in ballot]
    return [list(level) for level in ballot]


def ranking_frame(ballots, groups=None) -> pd.DataFrame:
    """Long ranking frame; respondent ids sort in ballot order (r000, r001, ...)."""
    rows = []
    for r, ballot in enumerate(ballots):
        for k, level in enumerate(levels(ballot)):
            for item in level:
                rows.append(
                    {
                        "respondent": f"r{r:03d}",
                        "group": groups[r] if groups else "all",
                        "item": item,
                        "rank": float(k + 1),
                    }
                )
    return pd.DataFrame(rows)


def scores(name, frame, weights=None, options=None):
    method = get_method("ranking", name)
    profile = method.prepare(frame, options or {})
    w = np.ones(profile.n_respondents) if weights is None else np.asarray(weights, float)
    return method.scores(profile, w, options or {})


def ranks(name, frame, weights=None, options=None):
    method = get_method("ranking", name)
    return competition_rank(scores(name, frame, weights, options), method.higher_is_better)


def random_ballots(rng, items, n, ties=True, partial=True):
    """Random ballots with optional ties and truncation."""
    ballots = []
    for _ in range(n):
        order = list(rng.permutation(items))
        depth = int(rng.integers(1, len(items) + 1)) if partial else len(items)
        order = order[:depth]
        ballot, k = [], 0
        while k < len(order):
            size = int(rng.integers(1, 3)) if ties else 1
            ballot.append(order[k : k + size])
            k += size
        ballots.append(ballot)
    return ballots


def pv_profile(ballots, items) -> ProfileWithTies:
    """pref_voting profile (candidates = index in sorted items), unranked below ranked."""
    index = {x: i for i, x in enumerate(sorted(items))}
    rankings = [
        {index[x]: k + 1 for k, level in enumerate(levels(b)) for x in level} for b in ballots
    ]
    prof = ProfileWithTies(rankings, candidates=list(range(len(items))))
    prof.use_extended_strict_preference()
    return prof


WIKIPEDIA_SCHULZE = [  # Wikipedia, "Schulze method", the example with 45 voters
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]


def wikipedia_frame() -> pd.DataFrame:
    return ranking_frame([b for count, b in WIKIPEDIA_SCHULZE for _ in range(count)])


# ------------------------------------------------------------------------------------------
# registration and preparation


def test_all_methods_registered_with_summaries():
    assert set(METHODS) <= set(methods_for("ranking"))
    for name in METHODS:
        method = get_method("ranking", name)
        assert method.summary.strip().endswith(".")
        assert method.score_batch is not None
    assert get_method("ranking", "mean-rank").higher_is_better is False
    assert all(get_method("ranking", n).higher_is_better for n in METHODS if n != "mean-rank")


def test_positions_ties_and_partial_ballots():
    # r0 ranks a=1, b=2, c=2, d=4: positions 1, 2.5, 2.5, 4 (b and c share positions 2 and 3).
    # r1 uses dense ranks 1, 2, 2, 3 for the same order: same positions.
    # r2 ranks only b (first): a, c, d share positions 2..4 -> 3 each.
    frame = pd.DataFrame(
        {
            "respondent": ["r0"] * 4 + ["r1"] * 4 + ["r2"],
            "group": ["g1"] * 8 + ["g2"],
            "item": list("abcd") + list("abcd") + ["b"],
            "rank": [1, 2, 2, 4, 1, 2, 2, 3, 1.0],
        }
    )
    profile = get_method("ranking", "borda").prepare(frame, {})
    assert profile.items == ["a", "b", "c", "d"]
    assert profile.respondents.tolist() == ["r0", "r1", "r2"]
    assert profile.groups.tolist() == ["g1", "g1", "g2"]
    assert profile.matrix_higher_is_better is False
    np.testing.assert_array_equal(
        profile.matrix, [[1, 2.5, 2.5, 4], [1, 2.5, 2.5, 4], [3, 1, 3, 3]]
    )


def test_labels_in_arabic_and_turkish_are_kept_exactly():
    # "İstanbul" and "istanbul" (and "Işık"/"ışık") are different items: no case folding.
    order = ["تعزيز التماسك الاجتماعي", "İstanbul", "istanbul", "Işık", "ışık", "Çalışma"]
    frame = ranking_frame([[[x] for x in order]] * 3)
    for name in METHODS:
        method = get_method("ranking", name)
        profile = method.prepare(frame, {})
        assert profile.items == sorted(order)
        got = dict(zip(profile.items, ranks(name, frame).tolist(), strict=True))
        assert [got[x] for x in order] == [1, 2, 3, 4, 5, 6], name


# ------------------------------------------------------------------------------------------
# borda and mean-rank


def test_borda_conventions_hand_worked():
    # m = 4 items a, b, c, d.
    # r0: a > b = c > d  positions 1, 2.5, 2.5, 4
    # r1: c first, the rest unranked (positions 2, 3, 4 -> 3 each)
    # averaged (m - position): r0 = 3, 1.5, 1.5, 0; r1 = 1, 1, 3, 1  -> mean 2, 1.25, 2.25, 0.5
    # zero (unranked get 0):    r0 = 3, 1.5, 1.5, 0; r1 = 0, 0, 3, 0  -> mean 1.5, .75, 2.25, 0
    # dowdall (1/position, ties average, unranked 0):
    #   r0 = 1, (1/2 + 1/3)/2 = 5/12, 5/12, 1/4; r1 = 0, 0, 1, 0 -> mean 1/2, 5/24, 17/24, 1/8
    frame = ranking_frame([[["a"], ["b", "c"], ["d"]], "c"])
    np.testing.assert_allclose(scores("borda", frame), [2, 1.25, 2.25, 0.5])
    np.testing.assert_allclose(
        scores("borda", frame, options={"borda_partial": "zero"}), [1.5, 0.75, 2.25, 0]
    )
    np.testing.assert_allclose(
        scores("borda", frame, options={"borda_partial": "dowdall"}),
        [1 / 2, 5 / 24, 17 / 24, 1 / 8],
    )
    # mean-rank: r0 = 1, 2.5, 2.5, 4; r1 = 3, 3, 1, 3 -> 2, 2.75, 1.75, 3.5 (= 4 - Borda)
    np.testing.assert_allclose(scores("mean-rank", frame), [2, 2.75, 1.75, 3.5])
    with pytest.raises(ValueError, match="borda_partial"):
        scores("borda", frame, options={"borda_partial": "harmonic"})


def test_weighted_borda_is_weighted_average():
    # r0: a > b (a 1 point, b 0); r1: b > a. Weights 3 and 1: a = 3/4, b = 1/4.
    frame = ranking_frame(["ab", "ba"])
    np.testing.assert_allclose(scores("borda", frame, [3.0, 1.0]), [0.75, 0.25])
    np.testing.assert_allclose(scores("mean-rank", frame, [3.0, 1.0]), [1.25, 1.75])


@pytest.mark.parametrize("seed", range(6))
def test_borda_matches_pref_voting_on_complete_ballots(seed):
    rng = np.random.default_rng(seed)
    items = list("abcdef")[: int(rng.integers(3, 7))]
    n = int(rng.integers(1, 25))
    orders = [list(rng.permutation(items)) for _ in range(n)]
    index = {x: i for i, x in enumerate(sorted(items))}
    pv = PVProfile([[index[x] for x in order] for order in orders])
    expected = pv.borda_scores()  # sum over voters of the number of items ranked below
    got = scores("borda", ranking_frame(["".join(o) for o in orders]))
    np.testing.assert_allclose(got * n, [expected[i] for i in range(len(items))])


@pytest.mark.parametrize("seed", range(6))
def test_averaged_borda_matches_pref_voting_symmetric_borda_with_ties_and_truncation(seed):
    # pref_voting's symmetric Borda counts (items below) - (items above), with unranked items
    # tied below the ranked ones (extended strict preference). For an item with a items
    # below, b above and t tied, our points are m - position = a + t/2 = (a - b + m - 1) / 2.
    rng = np.random.default_rng(100 + seed)
    items = list("abcdef")[: int(rng.integers(3, 7))]
    ballots = random_ballots(rng, items, int(rng.integers(1, 20)))
    if {x for b in ballots for level in b for x in level} != set(items):
        ballots.append([[x] for x in items])
    m, n = len(items), len(ballots)
    sym = symmetric_borda_scores(pv_profile(ballots, items))
    got = scores("borda", ranking_frame(ballots))
    np.testing.assert_allclose(got, [(sym[i] / n + m - 1) / 2 for i in range(m)])
    np.testing.assert_allclose(scores("mean-rank", ranking_frame(ballots)), m - got)


# ------------------------------------------------------------------------------------------
# schulze


def widest_paths(d: np.ndarray) -> np.ndarray:
    """Test-only reference: the Schulze strongest paths, literally as Wikipedia's pseudocode."""
    n = len(d)
    p = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j and d[i][j] > d[j][i]:
                p[i][j] = d[i][j]
    for i in range(n):
        for j in range(n):
            if i != j:
                for k in range(n):
                    if i != k and j != k:
                        p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return np.array(p)


def test_schulze_wikipedia_example():
    # Wikipedia, "Schulze method", example with 45 voters and 5 candidates A-E:
    # the pairwise table d[*, *] and the strongest paths p[*, *] are printed on the page,
    # and the result is E > A > C > B > D.
    frame = wikipedia_frame()
    method = get_method("ranking", "schulze")
    profile = method.prepare(frame, {})
    d = ranking._pairwise_counts(profile, np.ones((1, 45)))[0]
    np.testing.assert_array_equal(
        d,
        [
            [0, 20, 26, 30, 22],
            [25, 0, 16, 33, 18],
            [19, 29, 0, 17, 24],
            [15, 12, 28, 0, 14],
            [23, 27, 21, 31, 0],
        ],
    )
    p = widest_paths(d)
    np.testing.assert_array_equal(
        p,
        [
            [0, 28, 28, 30, 24],
            [25, 0, 28, 33, 24],
            [25, 29, 0, 29, 24],
            [25, 28, 28, 0, 24],
            [25, 28, 28, 31, 0],
        ],
    )
    # E beats 4, A 3, C 2, B 1, D 0
    assert method.scores(profile, np.ones(45), {}).tolist() == [3, 1, 2, 0, 4]
    assert competition_rank(method.scores(profile, np.ones(45), {})).tolist() == [2, 4, 3, 5, 1]
    # winning votes and margins agree on complete ballots; so does pref_voting
    pv = pv_profile([b for c, b in WIKIPEDIA_SCHULZE for _ in range(c)], list("ABCDE"))
    defeats = beat_path_defeat(pv, strength_function=pv.support)
    assert [defeats.out_degree(i) for i in range(5)] == [3, 1, 2, 0, 4]


def test_schulze_uses_winning_votes_not_margins():
    # With tied or truncated ballots "winning votes" and "margins" can disagree; we use the
    # winning votes: the strength of the defeat x > y is the number preferring x to y.
    # 9 respondents: 1 x "a = b > c", 2 x "a > c > b", 2 x "b > a > c", 2 x "c" alone
    # (a, b unranked, tied below c), 2 x "c > b > a".
    #   b > a 4:2 (winning votes 4, margin 2); a > c 5:4 (5, 1); c > b 6:3 (6, 3): a cycle.
    # Winning votes: p(a,b) = min(a>c, c>b) = 5 > p(b,a) = 4            -> a beats b
    #                p(a,c) = 5 > p(c,a) = min(c>b, b>a) = 4             -> a beats c
    #                p(c,b) = 6 > p(b,c) = min(b>a, a>c) = 4             -> c beats b
    #   scores a 2, b 0, c 1.
    # Margins would give: b beats a (2 > 1), c beats a (2 > 1), c beats b (3 > 1): c first.
    ballots = [[["a", "b"], ["c"]]] + ["acb"] * 2 + ["bac"] * 2 + ["c"] * 2 + ["cba"] * 2
    assert scores("schulze", ranking_frame(ballots)).tolist() == [2, 0, 1]
    pv = pv_profile(ballots, list("abc"))
    by_support = beat_path_defeat(pv, strength_function=pv.support)
    by_margin = beat_path_defeat(pv)
    assert [by_support.out_degree(i) for i in range(3)] == [2, 0, 1]
    assert [by_margin.out_degree(i) for i in range(3)] == [0, 1, 2]


@pytest.mark.parametrize("seed", range(10))
def test_schulze_matches_pref_voting_beat_path(seed):
    rng = np.random.default_rng(200 + seed)
    items = list("abcdef")[: int(rng.integers(3, 7))]
    ballots = random_ballots(rng, items, int(rng.integers(1, 16)), ties=seed % 2 == 0)
    ballots.append([[x] for x in items])  # every item appears
    pv = pv_profile(ballots, items)
    defeats = beat_path_defeat(pv, strength_function=pv.support)
    expected = [defeats.out_degree(i) for i in range(len(items))]
    assert scores("schulze", ranking_frame(ballots)).tolist() == expected


# ------------------------------------------------------------------------------------------
# copeland


def test_copeland_hand_worked_with_a_pairwise_tie():
    # r0: a > b > c, r1: b > a > c.  a-b tied 1:1, a and b both beat c 2:0.
    # default (tie counts 0): a 1, b 1, c 0; copeland_tie=0.5: a 1.5, b 1.5, c 0.
    frame = ranking_frame(["abc", "bac"])
    assert scores("copeland", frame).tolist() == [1, 1, 0]
    assert scores("copeland", frame, options={"copeland_tie": 0.5}).tolist() == [1.5, 1.5, 0]
    assert ranks("copeland", frame).tolist() == [1, 1, 3]
    with pytest.raises(ValueError, match="copeland_tie"):
        scores("copeland", frame, options={"copeland_tie": 2})


@pytest.mark.parametrize("seed", range(8))
def test_copeland_matches_pref_voting(seed):
    rng = np.random.default_rng(300 + seed)
    items = list("abcdef")[: int(rng.integers(3, 7))]
    ballots = random_ballots(rng, items, int(rng.integers(1, 12)), ties=seed % 2 == 0)
    ballots.append([[x] for x in items])
    pv = pv_profile(ballots, items)
    frame = ranking_frame(ballots)
    wins = pv.copeland_scores(scores=(1, 0, 0))
    half = pv.copeland_scores(scores=(1, 0.5, 0))
    classic = pv.copeland_scores()  # wins - losses: same order as copeland_tie=0.5
    m = len(items)
    assert scores("copeland", frame).tolist() == [wins[i] for i in range(m)]
    got_half = scores("copeland", frame, options={"copeland_tie": 0.5})
    assert got_half.tolist() == [half[i] for i in range(m)]
    np.testing.assert_allclose(2 * got_half - (m - 1), [classic[i] for i in range(m)])


# ------------------------------------------------------------------------------------------
# plackett-luce


def breslow_top1(ballots, items):
    """Test-only: choix top-1 events, ties as Breslow (each tied item chosen from the same set)."""
    index = {x: i for i, x in enumerate(sorted(items))}
    data = []
    for ballot in ballots:
        remaining = set(range(len(items)))
        for level in levels(ballot):
            chosen = {index[x] for x in level}
            if chosen == remaining:
                break
            for c in sorted(chosen):
                data.append((c, sorted(remaining - {c})))
            remaining -= chosen
    return data


@pytest.mark.parametrize(("seed", "alpha"), [(0, 1e-2), (1, 1e-3), (2, 1e-6), (3, 0.1)])
def test_plackett_luce_matches_choix_same_penalty(seed, alpha):
    # choix's opt_top1 minimises -loglik + alpha_choix * sum(theta**2); ours maximises
    # loglik / n - pl_alpha * sum(theta**2) with unit weights: alpha_choix = pl_alpha * n.
    rng = np.random.default_rng(400 + seed)
    items = list("abcdefg")
    ballots = random_ballots(rng, items, 60)
    n = len(ballots)
    data = breslow_top1(ballots, items)
    expected = choix.opt_top1(len(items), data, alpha=alpha * n, tol=1e-12)
    expected -= expected.mean()
    got = scores("plackett-luce", ranking_frame(ballots), options={"pl_alpha": alpha})
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert abs(got.mean()) < 1e-12


def test_plackett_luce_matches_choix_ilsr_maximum_likelihood():
    # Without ties and with everything compared, the ML estimate exists; a negligible penalty
    # then gives choix's (unpenalised) ILSR estimate.
    rng = np.random.default_rng(7)
    items = [f"i{j}" for j in range(8)]
    theta = rng.normal(size=8)
    ballots = []
    for _ in range(300):
        order = np.argsort(-(theta + rng.gumbel(size=8)))[:4]
        ballots.append([[items[j]] for j in order])
    expected = choix.ilsr_top1(8, breslow_top1(ballots, items), alpha=0.0, tol=1e-12)
    expected -= expected.mean()
    got = scores("plackett-luce", ranking_frame(ballots), options={"pl_alpha": 1e-12})
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_plackett_luce_two_items_closed_form():
    # Two items, a over b by 3 respondents, b over a by 1: the ML strengths' ratio is 3,
    # so the centred log-strengths are +-log(3)/2 (the default penalty is negligible).
    frame = ranking_frame(["ab"] * 3 + ["ba"])
    np.testing.assert_allclose(
        scores("plackett-luce", frame), [np.log(3) / 2, -np.log(3) / 2], atol=1e-5
    )


def test_plackett_luce_final_tie_of_all_remaining_items_says_nothing():
    # "a > b = c" (complete, b and c tied last) carries the same information as "a" alone.
    full = ranking_frame([[["a"], ["b", "c"]], "bca", "cb"])
    partial = ranking_frame(["a", "bca", "cb"])
    np.testing.assert_allclose(scores("plackett-luce", full), scores("plackett-luce", partial))


def test_plackett_luce_is_finite_when_an_item_always_wins_or_never_is_chosen():
    frame = ranking_frame(["abcd"] * 10)  # unanimous: separable data, ML would be infinite
    got = scores("plackett-luce", frame)
    assert np.all(np.isfinite(got))
    assert got[0] > got[1] > got[2] > got[3]
    np.testing.assert_allclose(got, -got[::-1], atol=1e-8)  # symmetric about zero
    frame = ranking_frame(["ab", "ba", "a", "cb", "abcd"])  # d is never chosen over anything
    got = scores("plackett-luce", frame)
    assert np.all(np.isfinite(got))
    assert got[3] == got.min()


def test_plackett_luce_gradient_and_hessian_match_finite_differences():
    # the Newton polish relies on the analytic derivatives; check them numerically on weighted,
    # tied, partial ballots
    rng = np.random.default_rng(8)
    ballots = random_ballots(rng, list("abcdef"), 30)
    ballots.append("abcdef")
    profile = get_method("ranking", "plackett-luce").prepare(ranking_frame(ballots), {})
    w = rng.uniform(0.2, 2.0, size=profile.n_respondents)
    objective = ranking._PLObjective(profile, w, 1e-3)
    theta = rng.normal(size=6)
    _, d, grad = objective.evaluate(theta)
    eps = 1e-6
    num_grad = np.zeros(6)
    num_hess = np.zeros((6, 6))
    for j in range(6):
        step = np.eye(6)[j] * eps
        up, down = objective.evaluate(theta + step), objective.evaluate(theta - step)
        num_grad[j] = (up[0] - down[0]) / (2 * eps)
        num_hess[:, j] = -(up[2] - down[2]) / (2 * eps)
    np.testing.assert_allclose(grad, num_grad, atol=1e-6)
    np.testing.assert_allclose(objective.neg_hessian(theta, d), num_hess, atol=1e-6)


def test_plackett_luce_rejects_non_positive_penalty():
    with pytest.raises(ValueError, match="pl_alpha"):
        scores("plackett-luce", ranking_frame(["ab", "ba"]), options={"pl_alpha": 0})


# ------------------------------------------------------------------------------------------
# every method: ties, weights, unanimity, batches


@pytest.mark.parametrize("name", METHODS)
def test_ties_share_a_rank(name):
    # b and c are symmetric (each is second in one ballot and third in the other), a is
    # always first, d always last: ranks 1, 2, 2, 4 under every method.
    frame = ranking_frame(["abcd", "acbd"])
    got = scores(name, frame)
    assert got[1] == pytest.approx(got[2], abs=1e-12)
    assert ranks(name, frame).tolist() == [1, 2, 2, 4]


@pytest.mark.parametrize("name", METHODS)
def test_unanimous_profile_ranks_in_that_order(name):
    order = ["e", "c", "a", "d", "b"]
    frame = ranking_frame(["".join(order)] * 4)
    got = dict(zip(sorted(order), ranks(name, frame).tolist(), strict=True))
    assert [got[x] for x in order] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("name", METHODS)
def test_fractional_weights_equal_duplicated_respondents(name):
    rng = np.random.default_rng(11)
    ballots = random_ballots(rng, list("abcde"), 6)
    ballots.append("abcde")
    counts = [2, 1, 3, 1, 2, 1, 1]
    duplicated = [b for b, c in zip(ballots, counts, strict=True) for _ in range(c)]
    a = scores(name, ranking_frame(duplicated))
    b = scores(name, ranking_frame(ballots), np.array(counts, float))
    c = scores(name, ranking_frame(ballots), np.array(counts, float) / 7)  # scale-free
    np.testing.assert_allclose(a, b, atol=1e-7)
    np.testing.assert_allclose(b, c, atol=1e-7)


@pytest.mark.parametrize("name", METHODS)
def test_zero_weights_equal_dropping_respondents(name):
    rng = np.random.default_rng(12)
    ballots = random_ballots(rng, list("abcde"), 8)
    ballots[0] = "abcde"  # the kept respondents rank every item
    keep = np.array([1, 0, 1, 1, 0, 1, 0, 1], float)
    kept = [b for b, k in zip(ballots, keep, strict=True) if k]
    np.testing.assert_allclose(
        scores(name, ranking_frame(ballots), keep), scores(name, ranking_frame(kept)), atol=1e-7
    )


@pytest.mark.parametrize("name", METHODS)
def test_all_zero_weights_tie_every_item(name):
    frame = ranking_frame(["abc", "bca"])
    got = scores(name, frame, [0.0, 0.0])
    assert np.all(np.isfinite(got))
    assert np.all(got == got[0])


@pytest.mark.parametrize("name", METHODS)
def test_scores_finite_when_an_item_always_wins_and_one_is_never_first(name):
    frame = ranking_frame(["abcd", "acdb", "adbc", [["a"], ["b", "c", "d"]], "a"])
    got = scores(name, frame)
    assert np.all(np.isfinite(got))
    assert ranks(name, frame)[0] == 1


@pytest.mark.parametrize("name", METHODS)
def test_batch_equals_one_replicate_at_a_time(name):
    rng = np.random.default_rng(13)
    ballots = random_ballots(rng, list("abcdef"), 30)
    ballots.append("abcdef")
    method = get_method("ranking", name)
    profile = method.prepare(ranking_frame(ballots), {})
    n = profile.n_respondents
    integer = rng.multinomial(n, np.ones(n) / n, size=4).astype(float)  # float32 path
    fractional = integer * rng.uniform(0.5, 1.5, size=n)  # float64 path
    weights = np.vstack([integer, fractional, np.zeros(n)])
    batch = method.scores_batch(profile, weights, {})
    assert batch.shape == (9, profile.n_items)
    assert np.all(np.isfinite(batch))
    one_by_one = np.vstack([method.scores(profile, w, {}) for w in weights])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-7)


@pytest.mark.parametrize("name", ["schulze", "copeland"])
def test_pairwise_counts_in_blocks_equal_one_product(name, monkeypatch):
    rng = np.random.default_rng(14)
    ballots = [*random_ballots(rng, list("abcdef"), 25), "abcdef"]
    method = get_method("ranking", name)
    weights = rng.multinomial(26, np.ones(26) / 26, size=3).astype(float)
    whole = method.scores_batch(method.prepare(ranking_frame(ballots), {}), weights, {})
    monkeypatch.setattr(ranking, "_INDICATOR_MAX", 100)  # forces blocks of 2 respondents
    blocks = method.scores_batch(method.prepare(ranking_frame(ballots), {}), weights, {})
    np.testing.assert_array_equal(whole, blocks)
