"""Ordering CodeArtifact repositories so every upstream exists before a repository names it."""

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repolink.models.sections import CodeArtifactRepositorySpec
from repolink.workflow.plan import find_cycle, order_repositories

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Repo:
    """A bare planner node: lets the tests build graphs the request model would refuse (self-loops)."""

    name: str
    upstreams: tuple[str, ...] = ()


def names(repos: Sequence[Repo | CodeArtifactRepositorySpec]) -> list[str]:
    return [repo.name for repo in repos]


# --- order_repositories


def test_empty_request_orders_to_nothing() -> None:
    assert order_repositories([]) == []


def test_chain_given_dependants_first_is_created_upstreams_first() -> None:
    # Given app -> lib -> base, listed dependant first
    repos = [Repo("app", ("lib",)), Repo("lib", ("base",)), Repo("base")]

    # When
    ordered = order_repositories(repos)

    # Then
    assert names(ordered) == ["base", "lib", "app"]


def test_diamond_puts_the_shared_upstream_first_and_the_join_last() -> None:
    # Given top uses left and right, which both use bottom
    repos = [
        Repo("top", ("left", "right")),
        Repo("left", ("bottom",)),
        Repo("right", ("bottom",)),
        Repo("bottom"),
    ]

    # When
    ordered = names(order_repositories(repos))

    # Then: bottom first, top last, left and right in request order between
    assert ordered == ["bottom", "left", "right", "top"]


def test_a_request_already_in_order_comes_back_unchanged() -> None:
    # Given an order that already satisfies every upstream
    repos = [Repo("pypi-store"), Repo("npm-store"), Repo("team", ("pypi-store", "npm-store")), Repo("solo")]

    # When / Then
    assert order_repositories(repos) == repos


def test_independent_repositories_keep_request_order() -> None:
    repos = [Repo("zz"), Repo("aa"), Repo("mm")]

    assert names(order_repositories(repos)) == ["zz", "aa", "mm"]


def test_ties_keep_request_order_once_their_upstreams_are_placed() -> None:
    # Given b waits for a (listed later); c is free from the start
    repos = [Repo("bb", ("aa",)), Repo("cc"), Repo("aa")]

    # When
    ordered = names(order_repositories(repos))

    # Then: bb goes as early as it can, right after aa, and before nothing it does not need
    assert ordered == ["cc", "aa", "bb"]


def test_upstreams_outside_the_request_do_not_affect_order() -> None:
    # Given upstreams that may already exist in the domain
    repos = [Repo("team", ("existing-store", "lib")), Repo("lib", ("other-existing",))]

    # When / Then
    assert names(order_repositories(repos)) == ["lib", "team"]


def test_ordering_returns_the_same_objects() -> None:
    repos = [
        CodeArtifactRepositorySpec(name="team", upstreams=["store"]),
        CodeArtifactRepositorySpec(name="store", external_connection="public:pypi"),
    ]

    ordered = order_repositories(repos)

    assert ordered[0] is repos[1] and ordered[1] is repos[0]


def test_ordering_refuses_a_cycle_and_names_it() -> None:
    repos = [Repo("aa", ("bb",)), Repo("bb", ("aa",))]

    with pytest.raises(ValueError, match="aa -> bb -> aa"):
        order_repositories(repos)


def test_ordering_refuses_duplicate_names() -> None:
    with pytest.raises(ValueError, match="more than once"):
        order_repositories([Repo("aa"), Repo("aa")])


# --- find_cycle


def test_acyclic_graph_has_no_cycle() -> None:
    repos = [
        Repo("top", ("left", "right")),
        Repo("left", ("bottom",)),
        Repo("right", ("bottom",)),
        Repo("bottom"),
    ]

    assert find_cycle(repos) is None


def test_self_upstream_is_a_cycle_of_one() -> None:
    assert find_cycle([Repo("aa", ("aa",))]) == ["aa", "aa"]


def test_two_repositories_naming_each_other_form_a_cycle() -> None:
    assert find_cycle([Repo("aa", ("bb",)), Repo("bb", ("aa",))]) == ["aa", "bb", "aa"]


def test_three_cycle_is_reported_from_the_first_repository_in_request_order() -> None:
    repos = [Repo("aa", ("bb",)), Repo("bb", ("cc",)), Repo("cc", ("aa",))]

    assert find_cycle(repos) == ["aa", "bb", "cc", "aa"]


def test_cycle_reached_through_a_tail_reports_only_the_loop() -> None:
    # Given entry -> aa -> bb -> aa: entry leads into the loop but is not in it
    repos = [Repo("entry", ("aa",)), Repo("aa", ("bb",)), Repo("bb", ("aa",))]

    assert find_cycle(repos) == ["aa", "bb", "aa"]


def test_upstreams_outside_the_request_cannot_close_a_cycle() -> None:
    assert find_cycle([Repo("aa", ("elsewhere",)), Repo("bb", ("aa", "elsewhere"))]) is None


# --- property: random DAGs


@st.composite
def upstream_dags(draw: st.DrawFn) -> list[CodeArtifactRepositorySpec]:
    """Repositories whose in-request upstreams form a DAG, listed in a random order.

    Edges only go from a repository to ones created earlier in a hidden order, so the graph is
    acyclic by construction; the request then shuffles that order. Some upstreams are outside the
    request.
    """
    count = draw(st.integers(min_value=1, max_value=25))
    hidden = [f"repo-{i}" for i in range(count)]
    outside = ["existing-a", "existing-b"]
    repos = []
    for position, name in enumerate(hidden):
        candidates = hidden[:position] + outside
        upstreams = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=10))
        repos.append(CodeArtifactRepositorySpec(name=name, upstreams=upstreams))
    return draw(st.permutations(repos))


@given(upstream_dags())
def test_every_in_request_upstream_comes_before_its_dependant(
    repos: list[CodeArtifactRepositorySpec],
) -> None:
    # When
    ordered = order_repositories(repos)

    # Then: a permutation of the request...
    assert sorted(names(ordered)) == sorted(names(repos))
    # ...with every in-request upstream placed before the repository that lists it
    position = {repo.name: i for i, repo in enumerate(ordered)}
    for repo in ordered:
        for upstream in repo.upstreams:
            if upstream in position:
                assert position[upstream] < position[repo.name]
    assert find_cycle(repos) is None


@given(upstream_dags())
def test_ordering_is_idempotent(repos: list[CodeArtifactRepositorySpec]) -> None:
    ordered = order_repositories(repos)

    assert order_repositories(ordered) == ordered
