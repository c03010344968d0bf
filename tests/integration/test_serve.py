"""``repolink local serve``: the API on a real port, answering as API Gateway does."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from repolink_local.deployment import SimulatedDeployment
from repolink_local.serve import PAYLOAD_MAX, Serving, serving
from repolink_local.standins import HandshakePolicy
from repolink_local.summary import LocalWorld
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "events" / "onboarding.json"
#: another team's account, which the deployment allows (AllowedAccountIds)
ALLOWED = "111111111111"
JSON = {"Content-Type": "application/json"}
TIMEOUT = 10


@pytest.fixture
def served() -> Iterator[Serving]:
    """``local serve`` on a free port, in this process: a deployment allowing ALLOWED."""
    world = LocalWorld(
        deployment=SimulatedDeployment(parameters={"AllowedAccountIds": ALLOWED}),
        handshake=HandshakePolicy("after", 2),
        log_level="WARNING",
    )
    with serving(world, port=0) as running:
        yield running


def test_the_base_url_is_the_stage_on_loopback_with_the_port_bound(served: Serving) -> None:
    url = urlsplit(served.base_url)
    assert (url.hostname, url.path) == ("127.0.0.1", "/v1")
    assert url.port == served.server.port != 0


def test_a_signed_post_is_accepted_and_its_location_followed_until_succeeded(
    served: Serving, sigv4: Any
) -> None:
    links = f"{served.base_url}/links"
    # another account's team: the sample without gitSync (it names a role of the deployment's account)
    theirs = json.dumps({k: v for k, v in json.loads(SAMPLE.read_text()).items() if k != "gitSync"})
    posted = requests.post(links, data=theirs, headers=JSON, auth=sigv4(ALLOWED), timeout=TIMEOUT)
    assert posted.status_code == 202
    status_url = urljoin(links, posted.headers["Location"])
    give_up = time.monotonic() + 60
    while True:
        got = requests.get(status_url, auth=sigv4(ALLOWED), timeout=TIMEOUT)
        assert got.status_code == 200, got.text
        if got.json()["status"] != "running" or time.monotonic() > give_up:
            break
        time.sleep(0.1)
    assert got.json()["status"] == "succeeded"
    assert got.json()["requestId"] == posted.json()["requestId"]


def test_an_unsigned_request_gets_missing_authentication_token(served: Serving) -> None:
    answer = requests.post(f"{served.base_url}/links", data=SAMPLE.read_text(), headers=JSON, timeout=TIMEOUT)
    assert answer.status_code == 403
    assert answer.json() == {"message": "Missing Authentication Token"}
    assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    ("authorization", "message_starts"),
    [
        ("Bearer eyJhbGciOiJIUzI1NiJ9", "Invalid key=value pair (missing equal-sign)"),
        (
            "AWS4-HMAC-SHA256 Credential=111111111111/20261201/us-east-1/execute-api/aws4_request",
            (
                "Authorization header requires 'Signature' parameter."
                " Authorization header requires 'SignedHeaders' parameter."
            ),
        ),
        ("AWS4-HMAC-SHA512 Credential=x", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'"),
    ],
)
def test_a_garbled_authorization_gets_incomplete_signature(
    served: Serving, authorization: str, message_starts: str
) -> None:
    headers = {"Authorization": authorization, "X-Amz-Date": "20261201T000000Z"}
    answer = requests.get(f"{served.base_url}/links/rl-{'0' * 40}", headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "IncompleteSignatureException"
    assert answer.json()["message"].startswith(message_starts)


def test_an_incomplete_signature_does_not_echo_the_authorization_header(served: Serving) -> None:
    secret = "Bearer not-for-the-logs"
    answer = requests.get(
        f"{served.base_url}/links/rl-{'0' * 40}", headers={"Authorization": secret}, timeout=TIMEOUT
    )
    assert "not-for-the-logs" not in answer.text


@pytest.mark.parametrize(
    ("service", "region", "message"),
    [
        ("lambda", "us-east-1", "Credential should be scoped to correct service: 'execute-api'. "),
        ("execute-api", "eu-west-1", "Credential should be scoped to a valid region, not 'eu-west-1'. "),
    ],
)
def test_a_credential_scoped_to_another_service_or_region_is_refused(
    served: Serving, sigv4: Any, service: str, region: str, message: str
) -> None:
    auth = sigv4(ALLOWED, service=service, region=region)
    answer = requests.get(f"{served.base_url}/links/rl-{'0' * 40}", auth=auth, timeout=TIMEOUT)
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert answer.json() == {"message": message}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/onboardings"),
        ("GET", "/v1/onboardings"),
        ("PATCH", f"/v1/links/rl-{'0' * 40}"),
        ("DELETE", "/v1/links"),
        ("POST", "/v2/links"),
        ("POST", "/links"),
    ],
)
def test_an_unknown_route_or_stage_gets_missing_authentication_token_even_signed(
    served: Serving, sigv4: Any, method: str, path: str
) -> None:
    url = urljoin(served.base_url, path)
    answer = requests.request(method, url, data="{}", headers=JSON, auth=sigv4(ALLOWED), timeout=TIMEOUT)
    assert answer.status_code == 403
    assert answer.json() == {"message": "Missing Authentication Token"}


def test_an_account_the_resource_policy_does_not_allow_is_denied(served: Serving, sigv4: Any) -> None:
    answer = requests.post(
        f"{served.base_url}/links",
        data=SAMPLE.read_text(),
        headers=JSON,
        auth=sigv4("222222222222"),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "222222222222" in answer.json()["Message"]


def test_a_key_that_names_no_account_calls_as_the_deployments_own_account(
    served: Serving, sigv4: Any
) -> None:
    # the function answers (404: no such onboarding), so the resource policy let the call through
    answer = requests.get(
        f"{served.base_url}/links/rl-{'0' * 40}", auth=sigv4("AKIDEXAMPLE"), timeout=TIMEOUT
    )
    assert answer.status_code == 404


def test_the_function_answers_a_signed_request_with_its_own_status_and_body(
    served: Serving, sigv4: Any
) -> None:
    answer = requests.post(
        f"{served.base_url}/links", data="{not json", headers=JSON, auth=sigv4(ALLOWED), timeout=TIMEOUT
    )
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/json"


def test_a_host_a_post_names_exists_in_the_world_it_is_served_in(served: Serving, sigv4: Any) -> None:
    request = json.loads(SAMPLE.read_text())
    host_arn = "arn:aws:codeconnections:us-east-1:123456789012:host/acme-ghe-0a1b2c3d"
    request["connection"] |= {"provider": "GitHubEnterpriseServer", "hostArn": host_arn}
    requests.post(
        f"{served.base_url}/links",
        data=json.dumps(request),
        headers=JSON,
        auth=sigv4(ALLOWED),
        timeout=TIMEOUT,
    )
    assert served.engine.standins.connections.hosts["acme-ghe-0a1b2c3d"].status == "AVAILABLE"


def _send_raw(
    served: Serving, sigv4: Any, method: str, path: str, body: str, headers: list[tuple[str, str]]
) -> tuple[int, dict[str, Any]]:
    """``method path`` with ``headers`` exactly as listed (a name repeated is sent twice), signed
    by ALLOWED: what a client like curl sends, which ``requests`` would fold into one header."""
    url = urlsplit(served.base_url)
    prepared = requests.Request(method, f"{served.base_url}{path}", data=body, headers=JSON).prepare()
    signed = sigv4(ALLOWED)(prepared).headers
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=TIMEOUT)
    try:
        connection.putrequest(method, f"{url.path}{path}", skip_accept_encoding=True)
        for name in ("Authorization", "X-Amz-Date"):
            connection.putheader(name, signed[name])
        for name, value in headers:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body.encode())))
        connection.endheaders(body.encode())
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ([("Content-Type", "application/json"), ("Content-Type", "text/plain")], "Content-Type"),
        (
            [("Content-Type", "application/json"), ("Idempotency-Key", "one"), ("Idempotency-Key", "two")],
            "Idempotency-Key",
        ),
    ],
    ids=["two-content-types", "two-idempotency-keys"],
)
def test_a_header_sent_twice_with_two_values_is_400_and_starts_nothing(
    served: Serving, sigv4: Any, headers: list[tuple[str, str]], field: str
) -> None:
    status, answer = _send_raw(served, sigv4, "POST", "/links", SAMPLE.read_text(), headers)
    assert status == 400, answer
    assert [e["field"] for e in answer["errors"]] == [field]
    assert served.engine.executions() == []


def test_an_encoded_question_mark_in_the_id_is_part_of_the_path_not_a_query(
    served: Serving, sigv4: Any
) -> None:
    theirs = json.dumps({k: v for k, v in json.loads(SAMPLE.read_text()).items() if k != "gitSync"})
    posted = requests.post(
        f"{served.base_url}/links", data=theirs, headers=JSON, auth=sigv4(ALLOWED), timeout=TIMEOUT
    )
    request_id = posted.json()["requestId"]
    for encoded in ("%3Fx=1", "%23x"):
        path = f"/links/{request_id}{encoded}"
        status, answer = _send_raw(served, sigv4, "PUT", path, theirs, [("Content-Type", "application/json")])
        # API Gateway decodes the path once: the id is "rl-...?x=1", which names no onboarding
        assert status == 404, answer
    assert len(served.engine.executions()) == 1


def test_a_body_over_api_gateways_10_mb_gets_413_before_it_is_read(served: Serving) -> None:
    url = urlsplit(served.base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=TIMEOUT)
    try:
        connection.putrequest("POST", f"{url.path}/links")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(PAYLOAD_MAX + 1))
        connection.endheaders()
        answer = connection.getresponse()
        assert answer.status == 413
        assert json.loads(answer.read()) == {"message": f"HTTP content length exceeded {PAYLOAD_MAX} bytes."}
    finally:
        connection.close()


def test_local_serve_exits_0_promptly_on_sigterm_with_an_execution_running(
    sigv4: Any, local_serve_process: Any
) -> None:
    # the sample's Git sync role, listed
    listed = f"GitSyncRoleArns={SAMPLE_PARAMETERS['GitSyncRoleArns']}"
    with local_serve_process("--handshake", "never", "--parameter-overrides", listed) as (process, base_url):
        posted = requests.post(
            f"{base_url}/links",
            data=SAMPLE.read_text(),
            headers=JSON,
            auth=sigv4("AKIDEXAMPLE"),
            timeout=TIMEOUT,
        )
        assert posted.status_code == 202
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - stopping < 15


def test_local_serve_exits_2_when_its_port_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    from repolink_client.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["local", "serve", "--port", str(taken.getsockname()[1])]) == 2
    assert "cannot listen on 127.0.0.1:" in capsys.readouterr().err
