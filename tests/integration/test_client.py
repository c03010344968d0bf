"""The client's own behaviour (signing, retries, following, exit codes), over real HTTP.

The API here is a scripted WSGI app on a real port: these tests are about what the client sends
and how it reacts to each answer. The client against the real API (``local serve``) is in
test_serve_client.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from repolink_client import client
from repolink_client.cli import main

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "onboarding.json"
ID = "rl-" + "a" * 40
RUNNING = {"requestId": ID, "status": "running", "step": "Check the handshake", "connectionStatus": "PENDING"}


@dataclass
class Scripted:
    """Answers in order (the last one repeats); records every request it got."""

    answers: list[tuple[int, dict[str, str], Any]]
    seen: list[Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        self.bodies.append(request.get_data())
        self.seen.append(request)
        status, headers, body = self.answers[min(len(self.seen) - 1, len(self.answers) - 1)]
        response = Response(json.dumps(body), status=status, headers=headers, content_type="application/json")
        return response(environ, start_response)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[str, Scripted]]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "111111111111")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    # the same policy, with short pauses: these tests count the attempts, not the seconds
    monkeypatch.setattr(client, "RETRY", client.RETRY.new(backoff_factor=0.01, backoff_jitter=0.01))
    servers = []

    def start(*answers: tuple[int, dict[str, str], Any]) -> tuple[str, Scripted]:
        app = Scripted(list(answers))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/v1", app

    yield start
    for server in servers:
        server.shutdown()


def _run(*argv: str) -> int:
    return main([*argv, "--poll-interval", "0.01", "--poll-max", "0.02"])


def test_a_submitted_request_is_posted_as_json_signed_for_execute_api(api: Any) -> None:
    url, app = api((202, {"Location": f"links/{ID}"}, {"requestId": ID}))
    assert _run("submit", str(SAMPLE), "--api-url", url) == 0
    request = app.seen[0]
    assert request.path == "/v1/links"
    assert app.bodies[0] == SAMPLE.read_bytes()
    assert request.headers["Content-Type"] == "application/json"
    assert "Credential=111111111111/" in request.headers["Authorization"]
    assert "/us-east-1/execute-api/aws4_request" in request.headers["Authorization"]


def test_the_signature_is_botocores_for_the_same_request(api: Any) -> None:
    url, app = api((202, {}, {"requestId": ID}))
    _run("submit", str(SAMPLE), "--api-url", url, "--region", "eu-west-1")
    got = app.seen[0]
    again = AWSRequest(method="POST", url=f"{url}/links", data=app.bodies[0])
    for name in ("Content-Type", "X-Amz-Date"):
        again.headers[name] = got.headers[name]
    again.context["timestamp"] = got.headers["X-Amz-Date"]
    SigV4Auth(Credentials("111111111111", "secret"), "execute-api", "eu-west-1").add_auth(again)
    assert got.headers["Authorization"] == again.headers["Authorization"]


def test_the_idempotency_key_is_sent_as_its_header(api: Any) -> None:
    url, app = api((202, {}, {"requestId": ID}))
    _run("submit", str(SAMPLE), "--api-url", url, "--idempotency-key", "deploy-42")
    assert app.seen[0].headers["Idempotency-Key"] == "deploy-42"


def test_the_region_comes_from_an_execute_api_host() -> None:
    import botocore.session

    url = "https://a1b2c3.execute-api.ap-southeast-2.amazonaws.com/v1"
    assert client._region_of(url, None, botocore.session.Session()) == "ap-southeast-2"


def test_throttling_and_5xx_are_retried_and_the_answer_after_them_counts(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = api(
        (429, {"Retry-After": "0"}, {"message": "Too Many Requests"}),
        (503, {}, {"message": "Service Unavailable"}),
        (202, {}, {"requestId": ID}),
    )
    assert _run("submit", str(SAMPLE), "--api-url", url) == 0
    assert len(app.seen) == 3
    assert json.loads(capsys.readouterr().out) == {"requestId": ID}


def test_a_5xx_that_persists_exits_1_after_the_retries(api: Any) -> None:
    url, app = api((502, {}, {"message": "Internal server error"}))
    assert _run("submit", str(SAMPLE), "--api-url", url) == 1
    assert len(app.seen) == 1 + client.RETRY.total  # type: ignore[operator]


def test_a_refused_request_exits_2_with_the_apis_answer_on_stdout(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    refusal = {"message": "the request breaks the contract", "errors": [{"field": "name", "message": "x"}]}
    url, _ = api((422, {}, refusal))
    assert _run("submit", str(SAMPLE), "--api-url", url) == 2
    assert json.loads(capsys.readouterr().out) == refusal


def test_wait_follows_location_resolved_against_the_request_url(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    done = {**RUNNING, "status": "succeeded", "step": "Report the outcome"}
    url, app = api((202, {"Location": f"links/{ID}"}, {"requestId": ID}), (200, {}, RUNNING), (200, {}, done))
    assert _run("submit", str(SAMPLE), "--api-url", url, "--wait") == 0
    assert [r.path for r in app.seen] == ["/v1/links", f"/v1/links/{ID}", f"/v1/links/{ID}"]
    captured = capsys.readouterr()
    assert json.loads(captured.out) == done
    assert "Check the handshake" in captured.err


def test_wait_shows_the_console_link_while_the_handshake_is_pending(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    link = "https://console.aws.amazon.com/codesuite/settings/connections"
    failed = {**RUNNING, "status": "failed", "error": "HandshakeTimedOut"}
    url, _ = api((200, {}, {**RUNNING, "consoleUrl": link}), (200, {}, failed))
    assert _run("status", ID, "--api-url", url, "--wait") == 1
    assert link in capsys.readouterr().err


def test_status_of_a_running_onboarding_exits_0_without_waiting(api: Any) -> None:
    url, app = api((200, {}, RUNNING))
    assert _run("status", ID, "--api-url", url) == 0
    assert len(app.seen) == 1


def test_an_unknown_onboarding_exits_2(api: Any) -> None:
    url, _ = api((404, {}, {"message": f"no onboarding {ID}", "errors": []}))
    assert _run("status", ID, "--api-url", url) == 2


def test_a_wait_that_outlasts_its_timeout_exits_1_with_the_last_status(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = api((200, {}, RUNNING))
    assert _run("status", ID, "--api-url", url, "--wait", "--wait-timeout", "0.05") == 1
    assert json.loads(capsys.readouterr().out) == RUNNING


def test_an_id_that_cannot_be_an_onboarding_is_refused_without_a_call(api: Any) -> None:
    url, app = api((200, {}, RUNNING))
    assert _run("status", "../links", "--api-url", url) == 2
    assert app.seen == []


def test_no_reachable_api_exits_1(api: Any) -> None:
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert _run("status", ID, "--api-url", f"http://127.0.0.1:{port}/v1") == 1


def test_no_credentials_is_refused_naming_the_chain(
    api: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = api((200, {}, RUNNING))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert _run("status", ID, "--api-url", url) == 2
    assert "no AWS credentials" in capsys.readouterr().err
    assert app.seen == []


def _stack(name: str, outputs: dict[str, str]) -> None:
    import boto3

    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )


def test_the_api_url_is_the_stacks_api_url_output(api: Any) -> None:
    from moto import mock_aws

    url, app = api((200, {}, RUNNING))
    with mock_aws():
        _stack("repolink", {"ApiUrl": url})
        assert _run("status", ID, "--stack-name", "repolink", "--region", "us-east-1") == 0
    assert [r.path for r in app.seen] == [f"/v1/links/{ID}"]


def test_a_stack_without_an_api_url_output_is_refused_naming_it(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto import mock_aws

    with mock_aws():
        _stack("other", {"QueueUrl": "https://sqs.example"})
        assert _run("status", ID, "--stack-name", "other", "--region", "us-east-1") == 2
    assert "stack other has no ApiUrl output" in capsys.readouterr().err


def test_a_missing_stack_is_refused_with_cloudformations_reason(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto import mock_aws

    with mock_aws():
        assert _run("status", ID, "--stack-name", "absent", "--region", "us-east-1") == 2
    assert "absent" in capsys.readouterr().err


OFFBOARDING = {
    "requestId": ID,
    "executionArn": "arn:aws:states:us-east-1:123456789012:execution:M:x",
    "statusUrl": ID,
    "status": "offboarding",
}


def test_offboard_sends_a_signed_delete_without_a_body_by_default(api: Any) -> None:
    url, app = api((202, {"Location": ID}, OFFBOARDING))
    assert _run("offboard", ID, "--api-url", url) == 0
    (request,) = app.seen
    assert (request.method, request.path) == ("DELETE", f"/v1/links/{ID}")
    assert app.bodies[0] == b""
    assert "/execute-api/aws4_request" in request.headers["Authorization"]


def test_recheck_sends_a_signed_post_without_a_body_and_wait_follows_the_onboarding(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    woken = {"requestId": ID, "waiting": "Handshake", "woken": True}
    done = {"requestId": ID, "status": "succeeded"}
    url, app = api((202, {}, woken), (200, {}, done))
    assert _run("recheck", ID, "--api-url", url, "--wait") == 0
    assert [(r.method, r.path) for r in app.seen] == [
        ("POST", f"/v1/links/{ID}/recheck"),
        ("GET", f"/v1/links/{ID}"),
    ]
    assert app.bodies[0] == b""
    assert "/execute-api/aws4_request" in app.seen[0].headers["Authorization"]
    assert json.loads(capsys.readouterr().out) == done


def test_a_recheck_of_an_onboarding_that_does_not_wait_exits_2_with_the_refusal(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    refusal = {
        "message": f"onboarding {ID} is succeeded",
        "errors": [{"field": "status", "message": "is succeeded"}],
    }
    url, _ = api((409, {}, refusal))
    assert _run("recheck", ID, "--api-url", url) == 2
    assert json.loads(capsys.readouterr().out) == refusal


def test_delete_packages_is_sent_as_the_json_body(api: Any) -> None:
    url, app = api((202, {}, OFFBOARDING))
    assert _run("offboard", ID, "--api-url", url, "--delete-packages") == 0
    assert json.loads(app.bodies[0]) == {"deletePackages": True}
    assert app.seen[0].headers["Content-Type"] == "application/json"


def test_a_throttled_delete_is_retried_it_is_idempotent(api: Any) -> None:
    url, app = api((429, {"Retry-After": "0"}, {"message": "Too Many Requests"}), (200, {}, OFFBOARDING))
    assert _run("offboard", ID, "--api-url", url) == 0
    assert [r.method for r in app.seen] == ["DELETE", "DELETE"]


@pytest.mark.parametrize(("ended", "code"), [("offboarded", 0), ("offboard-failed", 1)])
def test_offboard_wait_follows_the_onboarding_until_its_offboarding_ends(
    api: Any, capsys: pytest.CaptureFixture[str], ended: str, code: int
) -> None:
    under_way = {"requestId": ID, "status": "offboarding"}
    done = {"requestId": ID, "status": ended, "removed": [], "retained": []}
    url, app = api((202, {"Location": ID}, OFFBOARDING), (200, {}, under_way), (200, {}, done))
    assert _run("offboard", ID, "--api-url", url, "--wait") == code
    assert [(r.method, r.path) for r in app.seen] == [
        ("DELETE", f"/v1/links/{ID}"),
        ("GET", f"/v1/links/{ID}"),
        ("GET", f"/v1/links/{ID}"),
    ]
    assert json.loads(capsys.readouterr().out) == done


def test_offboarding_a_running_onboarding_exits_2_with_the_refusal(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    refusal = {"message": "running", "errors": [{"field": "status", "message": "running"}]}
    url, _ = api((409, {}, refusal))
    assert _run("offboard", ID, "--api-url", url, "--wait") == 2
    assert json.loads(capsys.readouterr().out) == refusal


def test_list_sends_its_filter_as_the_query_and_prints_the_page(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    page = {"links": [{"requestId": ID, "status": "running"}], "nextToken": "abc"}
    url, app = api((200, {}, page))
    assert _run("list", "--api-url", url, "--state", "running", "--limit", "5", "--next-token", "t0") == 0
    (request,) = app.seen
    assert (request.method, request.path) == ("GET", "/v1/links")
    assert request.args.to_dict() == {"state": "running", "limit": "5", "nextToken": "t0"}
    assert json.loads(capsys.readouterr().out) == page


@pytest.mark.parametrize("flags", [("--limit", "0"), ("--limit", "101"), ("--state", "paused")])
def test_a_list_filter_out_of_bounds_is_refused_without_a_call(api: Any, flags: tuple[str, str]) -> None:
    url, app = api((200, {}, {"links": []}))
    with pytest.raises(SystemExit) as refused:
        _run("list", "--api-url", url, *flags)
    assert refused.value.code == 2
    assert app.seen == []


CHANGING = {
    "requestId": ID,
    "changeId": f"{ID}-change-1",
    "executionArn": "arn:aws:states:us-east-1:123456789012:execution:M:x",
    "statusUrl": ID,
    "status": "running",
}


def test_change_puts_the_request_file_signed_and_a_throttled_put_is_retried(api: Any, tmp_path: Path) -> None:
    path = tmp_path / "change.json"
    path.write_text('{"codeartifact": {"domain": "acme"}}')
    url, app = api((429, {"Retry-After": "0"}, {"message": "Too Many Requests"}), (202, {}, CHANGING))
    assert _run("change", ID, str(path), "--api-url", url) == 0
    assert [(r.method, r.path) for r in app.seen] == [("PUT", f"/v1/links/{ID}")] * 2
    assert app.bodies[-1] == path.read_bytes()
    assert app.seen[-1].headers["Content-Type"] == "application/json"
    assert "/execute-api/aws4_request" in app.seen[-1].headers["Authorization"]


def test_change_of_an_id_of_another_form_is_refused_before_any_call(api: Any, tmp_path: Path) -> None:
    path = tmp_path / "change.json"
    path.write_text("{}")
    url, app = api()
    assert _run("change", "not-an-id", str(path), "--api-url", url) == 2
    assert app.seen == []
