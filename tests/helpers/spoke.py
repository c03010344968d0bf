"""Team accounts and their requests, as the spoke scenarios send them (the statemachine tier)."""

import json
from typing import Any

from helpers.engine import JSON
from repolink_local.engine import LocalEngine
from repolink_local.standins import StandIns

TEAM_B, TEAM_C = "222222222222", "333333333333"
#: what an account holds that repolink made, when it holds nothing
NOTHING = {"connections": 0, "repositoryLinks": 0, "syncConfigurations": 0}


def repository(name: str, stack: str, account: str = TEAM_B) -> dict[str, Any]:
    """A Git sync repository whose one stack syncs with a role of ``account`` (the spoke's path)."""
    return {
        "ownerId": "acme",
        "repositoryName": name,
        "syncConfigurations": [
            {
                "resourceName": stack,
                "branch": "main",
                "configFile": "deploy/stack.yaml",
                "roleArn": f"arn:aws:iam::{account}:role/repolink-git-sync/{stack}",
            }
        ],
    }


def request(*repositories: dict[str, Any]) -> dict[str, Any]:
    """A connection with Git sync of ``repositories`` (by default one, of B)."""
    return {
        "connection": {"name": "team-b-github", "provider": "GitHub"},
        "gitSync": {"repositories": list(repositories or [repository("infra", "b-network")])},
    }


def post(running: LocalEngine, body: dict[str, Any], caller: str = TEAM_B) -> tuple[int, dict[str, Any]]:
    code, _, answer = running.api("POST", "/links", json.dumps(body), headers=JSON, caller_account=caller)
    return code, answer


def made_in(standins: StandIns, account: str) -> dict[str, int]:
    store = standins.account(account).connections
    return {
        "connections": len(store.list()),
        "repositoryLinks": len(store.repository_links),
        "syncConfigurations": len(store.sync_configurations),
    }
