"""``repolink submit``/``status`` against ``local serve``: the client and the real API, over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repolink_client.cli import main

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "onboarding.json"
#: two teams the deployment allows, and an account it does not
ALLOWED, OTHER_TEAM, STRANGER = "111111111111", "222222222222", "999999999999"
FAST = ("--poll-interval", "0.05", "--poll-max", "0.2", "--wait-timeout", "60")


@pytest.fixture(scope="module")
def served(local_serve_process: Any) -> Iterator[str]:
    """``local serve`` in a process of its own (the handlers' EMF metrics on its stdout stay out
    of the client's), allowing two teams; its base URL."""
    with local_serve_process(
        "--parameter-overrides", f"AllowedAccountIds={ALLOWED},{OTHER_TEAM}", "--handshake", "after:2"
    ) as (_, base_url):
        yield base_url


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample as these teams send it (they are other accounts than the deployment's): without
    gitSync, whose role is of the deployment's account."""
    path = tmp_path_factory.mktemp("requests") / "onboarding.json"
    request = json.loads(SAMPLE.read_text())
    path.write_text(json.dumps({k: v for k, v in request.items() if k != "gitSync"}))
    return path


@pytest.fixture
def as_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Sign as an account: local serve takes a 12-digit access key id as the caller's account."""

    def sign_as(account: str) -> None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", account)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")

    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    sign_as(ALLOWED)
    yield sign_as


def test_submit_and_wait_ends_with_the_onboarding_succeeded(
    sample: Path, served: str, as_account: object, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["submit", str(sample), "--api-url", served, "--wait", *FAST])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["status"] == "succeeded"
    assert "POST /v1/links -> 202" in captured.err


def test_status_of_a_submitted_onboarding_is_its_state(
    sample: Path, served: str, as_account: object, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["submit", str(sample), "--api-url", served])
    request_id = json.loads(capsys.readouterr().out)["requestId"]
    assert main(["status", request_id, "--api-url", served, "--wait", *FAST]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["requestId"] == request_id
    assert status["status"] == "succeeded"


def test_submitting_twice_is_one_onboarding(
    sample: Path, served: str, as_account: object, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = []
    for _ in range(2):
        assert main(["submit", str(sample), "--api-url", served, "--idempotency-key", "k-1"]) == 0
        ids.append(json.loads(capsys.readouterr().out)["requestId"])
    assert ids[0] == ids[1]


def test_a_request_breaking_the_contract_exits_2_naming_the_field(
    served: str, as_account: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = json.loads(SAMPLE.read_text())
    bad["handshakeTimeoutHours"] = 500
    request = tmp_path / "bad.json"
    request.write_text(json.dumps(bad))
    assert main(["submit", str(request), "--api-url", served]) == 2
    answer = json.loads(capsys.readouterr().out)
    assert [e["field"] for e in answer["errors"]] == ["handshakeTimeoutHours"]


def test_an_account_the_resource_policy_refuses_exits_2(
    sample: Path, served: str, as_account: object, capsys: pytest.CaptureFixture[str]
) -> None:
    as_account(STRANGER)  # type: ignore[operator]
    assert main(["submit", str(sample), "--api-url", served]) == 2
    assert "403" in capsys.readouterr().err


def test_another_teams_onboarding_is_not_found(
    sample: Path, served: str, as_account: object, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["submit", str(sample), "--api-url", served])
    request_id = json.loads(capsys.readouterr().out)["requestId"]
    as_account(OTHER_TEAM)  # type: ignore[operator]
    assert main(["status", request_id, "--api-url", served]) == 2
    assert json.loads(capsys.readouterr().out)["message"] == f"no onboarding {request_id}"


def test_offboard_wait_removes_the_onboarding_and_list_shows_it_offboarded(
    served: str, as_account: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = json.loads(SAMPLE.read_text())
    request = {k: v for k, v in request.items() if k not in ("gitSync", "connection")}
    request["codeartifact"]["domain"] = "offboarded"
    path = tmp_path / "offboard.json"
    path.write_text(json.dumps(request))
    assert main(["submit", str(path), "--api-url", served, "--wait", *FAST]) == 0
    request_id = json.loads(capsys.readouterr().out)["requestId"]
    # another team cannot offboard it: it does not exist for them
    as_account(OTHER_TEAM)  # type: ignore[operator]
    assert main(["offboard", request_id, "--api-url", served]) == 2
    assert json.loads(capsys.readouterr().out)["message"] == f"no onboarding {request_id}"
    as_account(ALLOWED)  # type: ignore[operator]
    code = main(["offboard", request_id, "--api-url", served, "--wait", *FAST])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    answer = json.loads(captured.out)
    assert answer["status"] == "offboarded"
    assert [(r["type"], r["name"]) for r in answer["removed"]] == [
        ("codeartifact:repository", "team-python"),
        ("codeartifact:repository", "pypi-store"),
        ("codeartifact:domain", "offboarded"),
    ]
    assert "DELETE /v1/links/" in captured.err
    assert main(["list", "--api-url", served, "--state", "offboarded"]) == 0
    assert request_id in [link["requestId"] for link in json.loads(capsys.readouterr().out)["links"]]


def test_change_wait_converges_the_onboarding_and_a_rename_exits_2_naming_the_field(
    served: str, as_account: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = json.loads(SAMPLE.read_text())
    request = {k: v for k, v in request.items() if k not in ("gitSync", "connection")}
    request["codeartifact"]["domain"] = "changed"
    path = tmp_path / "onboard.json"
    path.write_text(json.dumps(request))
    assert main(["submit", str(path), "--api-url", served, "--wait", *FAST]) == 0
    request_id = json.loads(capsys.readouterr().out)["requestId"]
    # When a repository is added through `repolink change ID REQUEST.json --wait`
    request["codeartifact"]["repositories"].append({"name": "team-shared", "upstreams": ["pypi-store"]})
    path.write_text(json.dumps(request))
    code = main(["change", request_id, str(path), "--api-url", served, "--wait", *FAST])
    captured = capsys.readouterr()
    # Then it ends succeeded, following the change, which created it
    assert code == 0, captured.err
    answer = json.loads(captured.out)
    assert answer["status"] == "succeeded"
    assert answer["changeId"] == f"{request_id}-change-1"
    assert "team-shared" in {r["name"] for r in answer["resources"]}
    assert "PUT /v1/links/" in captured.err
    # and a rename of the domain is refused (exit 2) naming the field
    request["codeartifact"]["domain"] = "renamed"
    path.write_text(json.dumps(request))
    assert main(["change", request_id, str(path), "--api-url", served]) == 2
    assert [e["field"] for e in json.loads(capsys.readouterr().out)["errors"]] == ["codeartifact.domain"]


def test_list_pages_through_the_next_token_and_another_teams_token_exits_2(
    served: str, as_account: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = json.loads(SAMPLE.read_text())
    request = {k: v for k, v in request.items() if k not in ("gitSync", "connection")}
    submitted = []
    for i in range(2):
        request["codeartifact"]["domain"] = f"paged-{i}"
        path = tmp_path / f"paged-{i}.json"
        path.write_text(json.dumps(request))
        assert main(["submit", str(path), "--api-url", served]) == 0
        submitted.append(json.loads(capsys.readouterr().out)["requestId"])
    listed: list[str] = []
    token, first, pages = None, None, 0
    while pages < 50:  # a deadline: the loop always ends
        pages += 1
        following = ["--next-token", token] if token else []
        assert main(["list", "--api-url", served, "--limit", "1", *following]) == 0
        page = json.loads(capsys.readouterr().out)
        listed += [link["requestId"] for link in page["links"]]
        token = page.get("nextToken")
        if pages == 1:
            first = token
        if not token:
            break
    assert set(submitted) <= set(listed) and len(listed) == len(set(listed))
    assert first is not None
    # the first page's token is this team's: another team's use of it is refused, naming it
    as_account(OTHER_TEAM)  # type: ignore[operator]
    assert main(["list", "--api-url", served, "--limit", "1", "--next-token", first]) == 2
    assert [e["field"] for e in json.loads(capsys.readouterr().out)["errors"]] == ["nextToken"]
