"""The repolink command: validate, and a full local run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from repolink_client import cli
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "onboarding.json"
#: the deployment the sample needs: the role its gitSync section names is in GitSyncRoleArns
LISTED_ROLE = f"GitSyncRoleArns={SAMPLE_PARAMETERS['GitSyncRoleArns']}"


def main(argv: list[str]) -> int:
    """``repolink`` on a deployment that lists the sample's Git sync role (besides any overrides)."""
    argv = list(argv)
    if "--parameter-overrides" in argv:
        argv.insert(argv.index("--parameter-overrides") + 1, LISTED_ROLE)
    elif argv[:1] in (["validate"], ["local"]):
        argv += ["--parameter-overrides", LISTED_ROLE]
    return cli.main(argv)


def test_validate_accepts_the_sample_and_prints_its_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SAMPLE)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is True and out["requestId"].startswith("rl-")
    assert out["request"]["handshakeTimeoutHours"] == 72


def test_validate_names_every_bad_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = json.loads(SAMPLE.read_text())
    bad["codeartifact"]["domain"] = "Not_A_Domain"
    bad["codeartifact"]["repositories"][1]["upstreams"] = ["x"] * 11
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    assert main(["validate", str(path)]) == 2
    fields = {e["field"] for e in json.loads(capsys.readouterr().out)["errors"]}
    assert "codeartifact.domain" in fields
    assert any(f.startswith("codeartifact.repositories[1].upstreams") for f in fields)


@pytest.mark.parametrize("body", ["{not json", "[]"])
def test_validate_rejects_malformed_input_at_the_root(tmp_path: Path, body: str, capsys: Any) -> None:
    path = tmp_path / "bad.json"
    path.write_text(body)
    assert main(["validate", str(path)]) == 2
    assert json.loads(capsys.readouterr().out)["errors"][0]["field"] == "(root)"


def test_validate_reports_a_missing_file(capsys: Any) -> None:
    assert main(["validate", "/nonexistent/request.json"]) == 2
    assert json.loads(capsys.readouterr().out)["errors"][0]["field"] == "(file)"


@pytest.mark.parametrize(
    "argv",
    [
        ["local", "run", str(SAMPLE), "--handshake", "after:0"],
        ["local", "run", str(SAMPLE), "--handshake", "soon"],
        ["local", "run", str(SAMPLE), "--recheck-after", "-1"],
        ["local", "run", str(SAMPLE), "--inject", "ThrottlingException"],
        ["local", "run", str(SAMPLE), "--inject", "ThrottlingException@CreateRepository:1.5"],
        ["local", "run", str(SAMPLE), "--inject", "LostResponse@codeconnections:GetConnection:1"],
        ["local", "run", str(SAMPLE), "--inject", "LostResponse@CreateConnection:1"],
        ["local", "run", str(SAMPLE), "--inject", "LostResponse@*:0.5"],
    ],
)
def test_bad_options_exit_2(argv: list[str], capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2


def test_local_run_of_the_sample_succeeds_and_summarises(capsys: Any) -> None:
    code = main(["local", "run", str(SAMPLE), "--handshake", "after:2"])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert code == 0 and summary["status"] == "SUCCEEDED"
    assert summary["result"] == "RepositoryLinkCompleted"
    assert summary["connection"]["status"] == "AVAILABLE"
    assert sorted(r["type"] for r in summary["resources"]) == [
        "codeartifact:domain",
        "codeartifact:repository",
        "codeartifact:repository",
        "codeconnections:connection",
        "codeconnections:repository-link",
    ]
    assert summary["stateTransitions"] > 10
    assert summary["apiCalls"]["codeconnections:CreateConnection"] == 1
    assert "→ Check the handshake" in captured.err
    assert "console.aws.amazon.com/codesuite/settings" in captured.err


def test_local_run_recheck_after_sees_the_handshake_at_once_and_counts_the_callback_waits(
    capsys: Any,
) -> None:
    # the person finishes after 30 virtual minutes and POSTs a recheck then
    code = main(["local", "run", str(SAMPLE), "--recheck-after", "1800"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["status"] == "SUCCEEDED"
    assert summary["rechecks"] == [
        {
            "httpStatus": 202,
            "response": {"requestId": summary["requestId"], "waiting": "Handshake", "woken": True},
        }
    ]
    assert summary["detectionDelaySeconds"] <= 5
    assert summary["virtualSecondsWaited"] == pytest.approx(1800)  # the callback waits, up to the wake


def test_local_event_recheck_after_sends_a_recheck_event_that_wakes_the_wait(capsys: Any) -> None:
    code = main(["local", "event", str(SAMPLE), "--recheck-after", "1800"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["status"] == "SUCCEEDED"
    assert summary["rechecks"] == [{"status": "accepted", "requestId": summary["requestId"], "woken": True}]
    assert summary["detectionDelaySeconds"] <= 5


def test_local_run_exits_1_when_the_onboarding_fails(capsys: Any) -> None:
    code = main(["local", "run", str(SAMPLE), "--handshake", "error"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["status"] == "FAILED"
    assert summary["failure"]["error"] == "HandshakeFailed"


def test_local_run_survives_injected_lambda_and_aws_throttling(capsys: Any) -> None:
    argv = ["local", "run", str(SAMPLE), "--seed", "3"]
    argv += ["--inject", "TooManyRequestsException@lambda:*:0.3", "--inject", "ThrottlingException@*:0.3"]
    code = main(argv)
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["status"] == "SUCCEEDED"
    assert summary["faultsInjected"], "AWS faults were injected"
    assert sum(summary["lambdaInvocations"].values()) > 8  # some invocations were throttled and retried
    # and still one connection: every CreateConnection but those the throttle refused took effect once
    refused = summary["faultsInjected"].get("codeconnections:CreateConnection:ThrottlingException", 0)
    assert summary["apiCalls"]["codeconnections:CreateConnection"] - refused == 1


def test_local_api_mode_shows_202_then_polling_to_completion(capsys: Any) -> None:
    code = main(["local", "api", str(SAMPLE), "--handshake", "after:2", "--idempotency-key", "cli-1"])
    captured = capsys.readouterr()
    outcome = json.loads(captured.out)
    assert code == 0 and outcome["status"] == "SUCCEEDED"
    assert "POST /links -> 202" in captured.err and "GET /links/rl-" in captured.err
    assert outcome["response"]["status"] == "succeeded" and len(outcome["response"]["resources"]) == 5


def test_local_api_mode_reports_a_refused_request(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"codeartifact": {"domain": "acme", "repositories": [{"name": "r", "upstreams": ["r"]}]}})
    )
    # the CLI validates first; a request the CLI accepts but the API refuses is not possible by design
    assert main(["local", "api", str(bad)]) == 2


def test_local_event_mode_runs_the_onboarding_from_another_account(tmp_path: Path, capsys: Any) -> None:
    admitted = ["--parameter-overrides", "AllowedAccountIds=210987654321"]
    theirs = tmp_path / "theirs.json"  # no gitSync: that account's caller cannot pass this account's roles
    theirs.write_text(json.dumps({k: v for k, v in json.loads(SAMPLE.read_text()).items() if k != "gitSync"}))
    code = main(["local", "event", str(theirs), "--caller-account", "210987654321", *admitted])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert code == 0 and summary["status"] == "SUCCEEDED"
    assert "RepositoryLinkRequested from 210987654321 -> {'status': 'accepted'" in captured.err


def test_local_event_mode_refuses_an_account_the_bus_does_not_admit(capsys: Any) -> None:
    code = main(["local", "event", str(SAMPLE), "--caller-account", "210987654321"])
    outcome = json.loads(capsys.readouterr().out)
    assert code == 2
    assert outcome["status"] == "REJECTED"
    assert "events:PutEvents" in outcome["rejected"][0]["reason"]


# --- one way in: the same verdict and the same request id everywhere, on a simulated deployment


def foreign(tmp_path: Path, **changes: Any) -> Path:
    request = json.loads(SAMPLE.read_text())
    request.pop("gitSync")  # about CodeArtifact: a role of this account is not another account's
    request["codeartifact"]["domainOwner"] = "210987654321"
    for section, values in changes.items():
        request[section] |= values
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(request))
    return path


def test_validate_prints_the_request_id_the_api_assigns(capsys: Any) -> None:
    from repolink_local.engine import LocalEngine

    assert main(["validate", str(SAMPLE)]) == 0
    predicted = json.loads(capsys.readouterr().out)["requestId"]
    with LocalEngine(log_level="WARNING", parameters=SAMPLE_PARAMETERS) as engine:
        code, _, answer = engine.api(
            "POST", "/links", SAMPLE.read_text(), headers={"Content-Type": "application/json"}
        )
        engine.wait(answer["executionArn"])
    assert code == 202
    assert answer["requestId"] == predicted


def test_a_foreign_domain_owner_is_refused_by_validate_and_local_run(tmp_path: Path, capsys: Any) -> None:
    path = foreign(tmp_path)
    assert main(["validate", str(path)]) == 2
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["status"] == 422
    assert [e["field"] for e in verdict["errors"]] == ["codeartifact.domainOwner"]
    assert main(["local", "run", str(path)]) == 2
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["httpStatus"] == 422
    assert [e["field"] for e in outcome["response"]["errors"]] == ["codeartifact.domainOwner"]


def test_creating_a_domain_for_another_account_is_refused_even_for_that_accounts_own_team(
    tmp_path: Path, capsys: Any
) -> None:
    # the team in 210987654321 may name its own account as domainOwner, but CreateDomain would
    # create the domain in the deployment's account
    allowed = ["--parameter-overrides", "AllowedAccountIds=210987654321", "--caller-account", "210987654321"]
    assert main(["validate", str(foreign(tmp_path)), *allowed]) == 2
    (error,) = json.loads(capsys.readouterr().out)["errors"]
    assert error["field"] == "codeartifact.domainOwner"
    assert "createDomain" in error["message"]


def test_the_same_request_succeeds_on_the_deployment_in_that_account(tmp_path: Path, capsys: Any) -> None:
    path = foreign(tmp_path)
    deployment = ["--account", "210987654321", "--region", "eu-west-1"]
    assert main(["validate", str(path), *deployment]) == 0
    capsys.readouterr()
    assert main(["local", "run", str(path), *deployment, "--handshake", "after:1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["connection"]["arn"].startswith("arn:aws:codeconnections:eu-west-1:210987654321:")


def host_request(tmp_path: Path, account: str = "123456789012", region: str = "us-east-1") -> Path:
    request = json.loads(SAMPLE.read_text())
    request.pop("gitSync")
    request["connection"] |= {
        "provider": "GitHubEnterpriseServer",
        "hostArn": f"arn:aws:codeconnections:{region}:{account}:host/acme-ghes-0123456789abcdef",
    }
    path = tmp_path / "host.json"
    path.write_text(json.dumps(request))
    return path


def test_a_request_on_a_host_runs_locally(tmp_path: Path, capsys: Any) -> None:
    assert main(["local", "run", str(host_request(tmp_path)), "--handshake", "after:1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["apiCalls"]["codeconnections:GetHost"] == 1
    assert summary["apiCalls"]["codeconnections:CreateConnection"] == 1


def test_a_host_that_is_not_set_up_fails_clearly_and_creates_no_connection(
    tmp_path: Path, capsys: Any
) -> None:
    code = main(["local", "run", str(host_request(tmp_path)), "--host-status", "PENDING"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1
    assert summary["failure"]["error"] == "HostNotAvailable"
    assert "/hosts/acme-ghes-0123456789abcdef" in summary["failure"]["cause"]
    assert "codeconnections:CreateConnection" not in summary["apiCalls"]


def test_a_host_in_another_account_is_refused_up_front(tmp_path: Path, capsys: Any) -> None:
    path = host_request(tmp_path, account="210987654321")
    assert main(["local", "run", str(path)]) == 2
    outcome = json.loads(capsys.readouterr().out)
    assert [e["field"] for e in outcome["response"]["errors"]] == ["connection.hostArn"]


def test_removing_a_needed_action_from_a_copy_of_the_template_fails_naming_it(
    tmp_path: Path, capsys: Any
) -> None:
    copy = tmp_path / "template.yaml"
    text = (SAMPLE.parents[1] / "template.yaml").read_text()
    needed = "                - codeartifact:AssociateExternalConnection\n"
    assert text.count(needed) == 1
    copy.write_text(text.replace(needed, ""))
    for sibling in ("statemachines",):
        (tmp_path / sibling).symlink_to(SAMPLE.parents[1] / sibling)
    assert main(["local", "run", "-t", str(copy), str(SAMPLE)]) == 1
    summary = json.loads(capsys.readouterr().out)
    causes = " ".join(f["cause"] for f in summary["failures"])
    assert "not authorized to perform: codeartifact:AssociateExternalConnection" in causes


def test_local_run_with_every_create_connection_answer_lost_still_makes_one_connection(capsys: Any) -> None:
    # every attempt takes effect and loses its answer: the SDK gives up, the state machine retries
    # the task, and the task finds the connection by its name and its ownership tag
    argv = ["local", "run", str(SAMPLE), "--handshake", "after:2"]
    code = main([*argv, "--inject", "LostResponse@codeconnections:CreateConnection:1"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["status"] == "SUCCEEDED"
    lost = summary["faultsInjected"]["codeconnections:CreateConnection:LostResponse"]
    assert lost == summary["apiCalls"]["codeconnections:CreateConnection"] >= 2
    assert [r["type"] for r in summary["resources"]].count("codeconnections:connection") == 1


def test_local_run_change_then_offboard_adds_a_repository_and_removes_it_with_the_rest(
    tmp_path: Path, capsys: Any
) -> None:
    changed = json.loads(SAMPLE.read_text())
    changed["codeartifact"]["repositories"].append({"name": "team-shared", "upstreams": ["pypi-store"]})
    new = tmp_path / "changed.json"
    new.write_text(json.dumps(changed))
    code = main(["local", "run", str(SAMPLE), "--handshake", "after:2", "--change", str(new), "--offboard"])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert code == 0, captured.err
    assert summary["change"]["status"] == "SUCCEEDED"
    assert summary["change"]["changeId"] == f"{summary['requestId']}-change-1"
    assert "team-shared" in {r["name"] for r in summary["change"]["resources"]}
    assert summary["offboarding"]["status"] == "OFFBOARDED"
    assert "team-shared" in {r["name"] for r in summary["offboarding"]["removed"]}
    assert summary["offboarding"]["retained"] == []
    assert "PUT /links/" in captured.err


def test_local_run_change_that_renames_the_domain_exits_2(tmp_path: Path, capsys: Any) -> None:
    changed = json.loads(SAMPLE.read_text())
    changed["codeartifact"]["domain"] = "renamed"
    new = tmp_path / "changed.json"
    new.write_text(json.dumps(changed))
    code = main(["local", "run", str(SAMPLE), "--handshake", "after:2", "--change", str(new)])
    summary = json.loads(capsys.readouterr().out)
    assert code == 2
    assert summary["change"]["status"] == "REFUSED"
    assert [e["field"] for e in summary["change"]["response"]["errors"]] == ["codeartifact.domain"]


def test_the_demo_runs_in_a_fresh_process_with_only_what_the_template_sets() -> None:
    """``make demo`` as a person runs it: a new process whose environment has no Powertools
    variables (the test session's conftest sets them; Lambda sets the template's before importing
    a handler). Importing repolink creates Powertools' Metrics, which needs its namespace then."""
    from helpers.process import fresh_process

    root = Path(__file__).resolve().parents[2]
    script = "import sys; from repolink_client.cli import main; sys.exit(main())"
    done = fresh_process(["-c", script, "local", "run", "events/onboarding.json"], root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "SUCCEEDED"
