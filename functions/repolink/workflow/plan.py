"""Plain ordering logic for CodeArtifact repositories and their upstreams.

An upstream must exist before a repository can name it, so repositories are created upstreams first.
Upstreams that are not in the request (they may already exist in the domain) take no part in the
ordering. The functions accept anything with a ``name`` and ``upstreams`` (the request model's
``CodeArtifactRepositorySpec`` among them), so this module does not import the models.
"""

import heapq
from collections.abc import Sequence
from typing import Protocol


class UpstreamNode(Protocol):
    """A repository as the planner sees it: its name and the names of its upstreams."""

    @property
    def name(self) -> str: ...

    @property
    def upstreams(self) -> Sequence[str]: ...


def _index_by_name(repos: Sequence[UpstreamNode]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, repo in enumerate(repos):
        if repo.name in index:
            raise ValueError(f"repository {repo.name!r} appears more than once")
        index[repo.name] = position
    return index


def find_cycle(repos: Sequence[UpstreamNode]) -> list[str] | None:
    """The first upstream cycle among ``repos``, as names with the first repeated at the end.

    ``[a, b, a]`` means a lists b as upstream and b lists a. A repository listing itself gives
    ``[a, a]``. The search starts from repositories in request order and follows upstreams in listed
    order, so the answer is deterministic. ``None`` when the upstream graph is acyclic.
    """
    index = _index_by_name(repos)
    unvisited, on_path, done = 0, 1, 2
    state = [unvisited] * len(repos)
    for start in range(len(repos)):
        if state[start] != unvisited:
            continue
        # Iterative depth-first search: each frame is (repository, position of the next upstream).
        path: list[int] = [start]
        cursor: list[int] = [0]
        state[start] = on_path
        while path:
            node = path[-1]
            upstreams = repos[node].upstreams
            if cursor[-1] == len(upstreams):
                state[node] = done
                path.pop()
                cursor.pop()
                continue
            upstream = index.get(upstreams[cursor[-1]])
            cursor[-1] += 1
            if upstream is None or state[upstream] == done:
                continue
            if state[upstream] == on_path:
                loop = path[path.index(upstream) :]
                return [repos[i].name for i in loop] + [repos[upstream].name]
            state[upstream] = on_path
            path.append(upstream)
            cursor.append(0)
    return None


def order_repositories[R: UpstreamNode](repos: Sequence[R]) -> list[R]:
    """``repos`` in creation order: every repository after the in-request upstreams it lists.

    Stable: among repositories free to go next, the one earlier in the request goes first, so a
    request already in a valid order comes back unchanged. Raises ``ValueError`` on duplicate names
    or an upstream cycle (the request model refuses both before this is ever called).
    """
    index = _index_by_name(repos)
    waiting_on = [0] * len(repos)
    dependants: list[list[int]] = [[] for _ in repos]
    for position, repo in enumerate(repos):
        for upstream in dict.fromkeys(repo.upstreams):
            upstream_position = index.get(upstream)
            if upstream_position is None:
                continue
            waiting_on[position] += 1
            dependants[upstream_position].append(position)

    ready = [position for position, count in enumerate(waiting_on) if count == 0]
    heapq.heapify(ready)
    ordered: list[R] = []
    while ready:
        position = heapq.heappop(ready)
        ordered.append(repos[position])
        for dependant in dependants[position]:
            waiting_on[dependant] -= 1
            if waiting_on[dependant] == 0:
                heapq.heappush(ready, dependant)

    if len(ordered) != len(repos):
        cycle = find_cycle(repos)
        raise ValueError(f"upstream cycle: {' -> '.join(cycle or [])}")
    return ordered
