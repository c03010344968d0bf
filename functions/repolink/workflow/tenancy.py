"""Each team sees and touches only its own onboardings and connections.

- An onboarding belongs to the account that asked for it (the API's caller, the event's source
  account from the EventBridge envelope), recorded at accept in the execution's input. Any verb
  by another account answers as if the onboarding did not exist; the deployment's own account
  (its operators) may read everything.
- A host named by ``connection.hostArn`` may be used unless repolink created it for another
  account (its ownership tag): hosts made outside repolink are the deployment's to share.
- A connection may be reused only when this account's onboardings created it (its ownership
  tags carry the account next to the request id), or when the deployment shares it
  (``SharedConnectionArns``). A host a request describes (``connection.host``) is reused by name
  on the same rule, without a shared list: a shared host is named by ``connection.hostArn``
  (``workflow.hosts``).
"""

import json
from collections.abc import Mapping
from typing import Any

from repolink.models.request import RESERVED_CONNECTION_TAGS

#: the tags every connection repolink creates carries: the onboarding's request id, and the
#: account the onboarding belongs to
REQUEST_TAG, OWNER_TAG = RESERVED_CONNECTION_TAGS


def owner_of(execution: Mapping[str, Any], own_account: str) -> str:
    """The account an onboarding belongs to (an execution started before ownership was recorded
    belongs to the deployment's own account)."""
    try:
        recorded = json.loads(execution.get("input") or "{}").get("callerAccount")
    except (ValueError, AttributeError):
        recorded = None
    return str(recorded) if recorded else own_account


def may_see(execution: Mapping[str, Any], *, caller: str, own_account: str) -> bool:
    return caller in (owner_of(execution, own_account), own_account)


def may_reuse(tags: Mapping[str, str], arn: str, *, caller: str, shared: frozenset[str]) -> bool:
    """A connection ``caller``'s own onboardings created, or one the deployment shares."""
    return arn in shared or tags.get(OWNER_TAG) == caller


def may_use_host(tags: Mapping[str, str], *, caller: str) -> bool:
    """A host named by ``connection.hostArn``: one repolink did not create (an operator's, which the
    deployment shares by letting teams name it), or one ``caller``'s own onboardings created. A
    host repolink created for another account is that account's, as its connections are."""
    owner = tags.get(OWNER_TAG)
    return owner is None or owner == caller


def shared_connections(setting: str) -> frozenset[str]:
    """``SharedConnectionArns`` as the template passes it: comma-separated, possibly empty."""
    return frozenset(a.strip() for a in setting.split(",") if a.strip())
