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
- A CodeArtifact domain or repository repolink created (it carries the request-id tag) is the
  team's whose onboarding created it (the owner-account tag beside it). Another team may not
  create repositories in that domain, nor reuse, name as an upstream or write the policy of
  that repository (``workflow.domains`` at accept, ``targets.codeartifact`` again in the task).
  One made before repolink tagged the owner (the request-id tag alone) is claimed by no team but
  the onboarding whose id it carries: an operator adds ``repolink:owner-account`` by hand, or
  lists the domain in ``SharedDomains``, to open it again. A domain made outside repolink, or
  listed in ``SharedDomains``, is a shared platform domain: every team makes its repositories
  there, and each team's stay its own.
"""

import json
from collections.abc import Mapping
from typing import Any, Literal

from repolink.models.tags import RESERVED_CONNECTION_TAGS

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


def acts_in(execution: Mapping[str, Any], own_account: str) -> str:
    """The account an onboarding acts in (its target account, recorded at accept); one started
    before targets were recorded acted in the deployment's own account."""
    try:
        recorded = json.loads(execution.get("input") or "{}").get("targetAccount")
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


#: whose a CodeArtifact domain or repository is, to one caller: its own (or this very
#: onboarding's), another team's, or no team's (made outside repolink)
Claim = Literal["own", "foreign", "unclaimed"]


def claim(tags: Mapping[str, str], *, caller: str, request_id: str) -> Claim:
    """Whose the CodeArtifact resource with ``tags`` is, to ``caller``'s onboarding ``request_id``.

    The owner-account tag decides; a resource repolink tagged before it recorded the owner is
    ``caller``'s only when it carries this very onboarding's id (a change runs with the
    onboarding's id), else another team's: the tag cannot tell whose, so nobody else claims it.
    """
    made_by = tags.get(REQUEST_TAG)
    if made_by is None:
        return "unclaimed"
    owner = tags.get(OWNER_TAG)
    if owner == caller or (owner is None and made_by == request_id):
        return "own"
    return "foreign"
