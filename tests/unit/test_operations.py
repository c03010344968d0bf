"""Operations: alarms with a notification target, a dashboard, log retention, and the two
deployment environments, checked on the template SAM will deploy."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest

from repolink_local.template import TEMPLATE, sam_translated

pytestmark = pytest.mark.unit
ROOT = TEMPLATE.parent


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(sam_translated({"AlarmEmail": "oncall@example.com"})["Resources"])


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def watched(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    """(namespace, metric) pairs an alarm watches, directly or through metric math."""
    props = alarm["Properties"]
    if "MetricName" in props:
        return {(props["Namespace"], props["MetricName"])}
    return {
        (m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"])
        for m in props["Metrics"]
        if "MetricStat" in m
    }


@pytest.mark.parametrize(
    "namespace, metric",
    [
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionsTimedOut"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/ApiGateway", "5XXError"),
    ],
)
def test_an_alarm_watches_each_failure_signal(resources: dict[str, Any], namespace: str, metric: str) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert any((namespace, metric) in watched(a) for a in alarms.values())


def test_every_alarm_notifies_the_configured_topic(resources: dict[str, Any]) -> None:
    target = {"Fn::If": ["HasAlarmTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == [target], name
        assert "docs/runbook.md" in alarm["Properties"]["AlarmDescription"], name
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"]


def test_lambda_alarms_cover_every_function(resources: dict[str, Any]) -> None:
    functions = set(of_type(resources, "AWS::Lambda::Function"))
    for metric in ("Errors", "Throttles"):
        # a metric math alarm takes at most 10 metrics: the onboarding's and the offboarding's
        alarms = [resources[f"{prefix}Lambda{metric}Alarm"]["Properties"] for prefix in ("", "Offboarding")]
        assert all(sum("MetricStat" in m for m in alarm["Metrics"]) <= 10 for alarm in alarms), metric
        covered = {
            m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
            for alarm in alarms
            for m in alarm["Metrics"]
            if "MetricStat" in m
        }
        assert covered == functions, metric


def test_the_dashboard_shows_the_onboarding_metrics_and_every_function(resources: dict[str, Any]) -> None:
    body_template, variables = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert set(variables) == {"ApiName", "DeadLetterQueueName"}
    body = json.loads(body_template)  # the JSON is valid before substitution: ${...} sit inside strings
    shown = {tuple(m[:2]) for w in body["widgets"] for m in w["properties"]["metrics"]}
    for metric in ("OnboardingsStarted", "OnboardingsSucceeded", "OnboardingsFailed", "HandshakeWaitHours"):
        assert ("Repolink", metric) in shown
    assert ("Repolink", "TargetsLinked") in shown
    functions = {m[3] for w in body["widgets"] for m in w["properties"]["metrics"] if m[0] == "AWS/Lambda"}
    assert functions == {f"${{{f}}}" for f in of_type(resources, "AWS::Lambda::Function")}


def test_every_log_group_has_retention_and_every_function_logs_to_one(resources: dict[str, Any]) -> None:
    groups = of_type(resources, "AWS::Logs::LogGroup")
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    for name, function in of_type(resources, "AWS::Lambda::Function").items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert group in groups, name


def test_the_handlers_emit_the_metrics_the_dashboard_shows() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "functions" / "repolink").rglob("*.py"))
    for metric in (
        "OnboardingsRequested",
        "OnboardingsStarted",
        "OnboardingsSucceeded",
        "OnboardingsFailed",
        "OnboardingsRejected",
        "HandshakeWaitHours",
        "TargetsLinked",
    ):
        assert f'"{metric}"' in source, metric


def test_samconfig_has_dev_and_prod_that_differ_where_they_should() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    dev, prod = config["dev"], config["prod"]
    assert dev["global"]["parameters"]["stack_name"] != prod["global"]["parameters"]["stack_name"]

    def overrides(env: dict[str, Any]) -> dict[str, str]:
        pairs = env["deploy"]["parameters"]["parameter_overrides"].split()
        return dict(p.split("=", 1) for p in pairs)

    assert int(overrides(dev)["LogRetentionDays"]) < int(overrides(prod)["LogRetentionDays"])
    assert "AlarmTopicArn" in overrides(prod)
    assert prod["deploy"]["parameters"]["confirm_changeset"] is True
    assert dev["deploy"]["parameters"]["confirm_changeset"] is False
