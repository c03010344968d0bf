"""IAM, enforced on every AWS call the deployed code makes locally, as AWS would.

Installed as two botocore handlers for every client made while the engine runs:

- ``before-parameter-build`` keeps the call's API parameters (the names the Service
  Authorization Reference and the ARN formats speak of);
- ``before-call`` finds the principal, asks :mod:`repolink_local.iam.requests` what IAM
  evaluates for the call, has the evaluator decide each, and answers a denied call the way AWS
  does: ``AccessDeniedException``, with AWS's message, before anything reaches a service.

The principal of a call is a Lambda function's role while the engine runs that function's
handler (a thread-local set around the invocation), or, for the calls moto's interpreter makes
(its clients are built with the access key ``ak``: ``moto/stepfunctions/parser/asl/utils/boto_client.py``),
the role of the state machine whose execution makes the call (``patches.calling_state_machine``).
An interpreter call whose machine is unknown is refused, never given some machine's role. The
engine's own set-up and polling act as the operator and are not checked.

**Across accounts.** A function's ``sts:AssumeRole`` of a team account's spoke role is evaluated
both ways: the function role's identity policy (with ``sts:SetSourceIdentity`` and
``sts:TagSession``), and the spoke's trust policy as ``spoke/template.yaml`` builds it in that
account, in the accounts that have the spoke (:attr:`IamEnforcer.spoke_accounts`; elsewhere the
role does not exist, and AWS refuses). The session's credentials (moto's, of the role's account)
then make every call a call of the spoke role, evaluated against its policies, with the session's
tags as ``aws:PrincipalTag`` and its source identity as ``aws:SourceIdentity``.

**An organisation.** Every account of the run belongs to one AWS Organizations organisation
(:class:`Organization`: the one ``AllowedOrganizationId`` names, else a local one), but those
placed outside it (``--outside-organization``). Every request carries the organisation of the
principal's account as ``aws:PrincipalOrgID`` and of the resource's account as
``aws:ResourceOrgID``, as AWS sets them (absent for an account in no organisation), so the API's
and the bus's resource policies, the platform roles' ``sts:AssumeRole`` statement and the spoke's
trust policy are evaluated with real values
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid).

**Resource tags.** A request naming a resource that exists (in the stand-ins of the account its
ARN names) carries that resource's tags as ``aws:ResourceTag/KEY``, read at the time of the call
(:attr:`IamEnforcer.resource_tags`), so the spoke's deletes, untags and changes narrowed by the
ownership tags are decided as AWS decides them. A create's resource does not exist yet: none.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto.core.botocore_stubber import MockRawResponse

from repolink_local.iam.deployment import Deployment, Role, Spoke
from repolink_local.iam.requests import (
    PLATFORM,
    Authorization,
    Context,
    authorizations,
    known_action,
    tags_of,
)
from repolink_local.iam.simulator import Decision, Simulator
from repolink_local.patches import HOOK_IAM, add_hook, calling_state_machine, remove_hook

#: the access key moto's Step Functions interpreter signs its service integrations with
INTERPRETER_ACCESS_KEY = "ak"
_PARAMS = "repolink_iam_params"
#: what before-call authorized (principal, model, region), for each retried attempt to be again
_ASKED = "repolink_iam_asked"


#: the organisation of a local run whose deployment names none (``AllowedOrganizationId`` empty)
LOCAL_ORGANIZATION_ID = "o-localworld00"


@dataclass(frozen=True)
class Organization:
    """The run's AWS Organizations organisation: every account is a member, but ``outside``."""

    id: str = LOCAL_ORGANIZATION_ID
    outside: frozenset[str] = frozenset()

    def of(self, account: str) -> str | None:
        """The organisation ``account`` belongs to (None: in none)."""
        return None if account in self.outside else self.id

    def __contains__(self, account: object) -> bool:
        return isinstance(account, str) and self.of(account) is not None


@dataclass(frozen=True)
class Principal:
    """Who makes a call: a session of one of the stack's roles, or another account."""

    arn: str
    account: str
    policies: dict[str, dict[str, Any]]
    role: str | None = None
    #: a session's tags (``aws:PrincipalTag``) and source identity (``aws:SourceIdentity``)
    tags: tuple[tuple[str, str], ...] = ()
    source_identity: str | None = None

    @classmethod
    def of_role(cls, role: Role, session: str, account: str) -> Principal:
        return cls(role.session(session, account), account, role.policies, role.logical_id)

    @classmethod
    def of_account(cls, account: str, policy: dict[str, Any] | None = None) -> Principal:
        """Another account's caller whose own administrators let it call us (``policy``, by
        default: every action, as docs/api.md asks of a caller's role)."""
        allow_all = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        return cls(f"arn:aws:iam::{account}:root", account, {"caller": policy or allow_all})


@dataclass(frozen=True)
class Denial:
    principal: str
    role: str | None
    authorization: Authorization
    decision: Decision

    @property
    def message(self) -> str:
        a = self.authorization
        where = (
            "resource-based"
            if self.decision.resource not in (None, "Allowed", "NotApplicable")
            and (self.decision.identity == "Allowed")
            else "identity-based"
        )
        if self.decision.result == "ExplicitlyDenied":
            why = f"with an explicit deny in a {where} policy"
        else:
            why = f"because no {where} policy allows the {a.action} action"
        return (
            f"User: {self.principal} is not authorized to perform: {a.action} on resource: {a.resource} {why}"
        )


class DeploymentDenied(Exception):
    """The deployment's roles lack what AWS itself needs of them (logs, traces)."""

    def __init__(self, denials: list[Denial]) -> None:
        super().__init__("; ".join(d.message for d in denials))
        self.denials = denials


class AccessDenied(Exception):
    """A call the engine itself makes for a caller (API Gateway, EventBridge) that IAM refuses."""

    def __init__(self, denial: Denial) -> None:
        super().__init__(denial.message)
        self.denial = denial


@dataclass
class IamEnforcer:
    deployment: Deployment
    simulator: Simulator = field(default_factory=Simulator.shared)
    #: every denied authorization, in order
    denials: list[Denial] = field(default_factory=list)
    #: every allowed (role, action), counted: what a scenario exercised of each role
    exercised: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: the team accounts the spoke StackSet has reached (``--spoke-accounts``)
    spoke_accounts: frozenset[str] = frozenset()
    #: the organisation every account of the run is in, but those outside it
    organization: Organization = field(default_factory=Organization)
    #: the StackSet deploys to the whole organisation (automatic deployment): every member has the
    #: spoke, besides :attr:`spoke_accounts`
    spoke_in_organization: bool = False
    #: the tags the resource an ARN names holds now, in its account's state (None: no such
    #: resource); the engine answers it from its stand-ins (:meth:`StandIns.resource_tags`)
    resource_tags: Callable[[str], dict[str, str] | None] = field(default=lambda _arn: None)

    def __post_init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._handlers = [
            ("before-parameter-build", self._keep_params),
            ("before-call", self._authorize),
            ("before-send", self._authorize_retry),
            ("after-call.sts.AssumeRole", self._session_opened),
        ]
        #: the spoke sessions opened so far, by their access key
        self.sessions: dict[str, Principal] = {}
        #: each state machine's principal, by the machine's name (its logical id, locally)
        self.state_machines = {
            name: Principal.of_role(role, "states-execution", self.deployment.account_id)
            for name, role in self.deployment.state_machine_roles().items()
        }

    # -- installation ---------------------------------------------------------------------

    def install(self) -> None:
        for event, handler in self._handlers:
            add_hook(event, handler, HOOK_IAM)

    def uninstall(self) -> None:
        for event, handler in self._handlers:
            remove_hook(event, handler)

    @contextmanager
    def acting_as_function(self, function_name: str, session: str) -> Iterator[None]:
        """While a function's handler runs in this thread, its calls are its role's."""
        role = self.deployment.function_role(function_name)
        previous = getattr(self._local, "principal", None)
        self._local.principal = Principal.of_role(role, session, self.deployment.account_id)
        try:
            yield
        finally:
            self._local.principal = previous

    # -- the decision -----------------------------------------------------------------------

    def decide(
        self,
        principal: Principal,
        authorization: Authorization,
        resource_policy: dict[str, Any] | None = None,
        extra_context: Context | None = None,
    ) -> Decision:
        organizations = {
            key: organization
            for key, organization in (
                ("aws:PrincipalOrgID", self.organization.of(principal.account)),
                ("aws:ResourceOrgID", self.organization.of(authorization.account)),
            )
            if organization is not None
        }
        context: Context = {
            **{f"aws:PrincipalTag/{k}": v for k, v in principal.tags},
            **({"aws:SourceIdentity": principal.source_identity} if principal.source_identity else {}),
            **organizations,
            "aws:PrincipalAccount": principal.account,
            "aws:PrincipalArn": principal.arn,
            "aws:RequestedRegion": self.deployment.region,
            "aws:ResourceAccount": authorization.account,
            **self._resource_tag_context(authorization),
            **authorization.context,
            **(extra_context or {}),
        }
        simulation: dict[str, Any] = {
            "request": {
                "principal": principal.arn,
                "action": authorization.action,
                "resource": {"resource": authorization.resource, "accountId": authorization.account},
                "contextVariables": context,
            },
            "identityPolicies": [{"name": n, "policy": p} for n, p in sorted(principal.policies.items())],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if resource_policy is not None:
            simulation["resourcePolicy"] = resource_policy
        decision = self.simulator.evaluate(simulation)
        with self._lock:
            if decision.allowed and principal.role is not None:
                self.exercised[(principal.role, authorization.action)] += 1
            elif not decision.allowed:
                self.denials.append(Denial(principal.arn, principal.role, authorization, decision))
        return decision

    def _resource_tag_context(self, authorization: Authorization) -> Context:
        """``aws:ResourceTag/KEY`` for each tag of the resource the request names, when it exists:
        AWS reads them from the resource itself, so a condition on them decides by what the
        resource holds at the time of the call (a create's resource, not made yet, has none)
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourcetag)."""
        tags = self.resource_tags(authorization.resource) if authorization.resource != "*" else None
        return {f"aws:ResourceTag/{k}": v for k, v in (tags or {}).items()}

    def require(
        self,
        principal: Principal,
        authorization: Authorization,
        resource_policy: dict[str, Any] | None = None,
    ) -> None:
        """Raise :class:`AccessDenied` unless IAM allows it."""
        decision = self.decide(principal, authorization, resource_policy)
        if not decision.allowed:
            raise AccessDenied(Denial(principal.arn, principal.role, authorization, decision))

    def platform_denials(self) -> list[Denial]:
        """What AWS does with the stack's roles on its own (:data:`~repolink_local.iam.requests.PLATFORM`):
        a function writing its logs and traces, the state machine delivering its logs and traces,
        API Gateway writing the access log. AWS does not fail a request for these, it drops the
        logs; locally a deployment that would lose them does not start."""
        template, account = self.deployment.template, self.deployment.account_id
        region = self.deployment.region
        denied = []
        for logical_id, resource in template.resources.items():
            props = resource.get("Properties", {})
            rows = [r for r in PLATFORM if r.kind == resource["Type"] and props.get(r.when)]
            if not rows:
                continue
            principal = Principal.of_role(self.deployment.role_of(logical_id), logical_id, account)
            values = {"Partition": "aws", "Region": region, "Account": account, "LogStreamName": "*"}
            group = self._log_group_of(resource)
            if group is not None:
                values["LogGroupName"] = group
            for row in rows:
                for name in row.grants:
                    action = known_action(name)
                    arn = "*" if action.wildcard_only else action.resource_types[0].arn(values)
                    wanted = Authorization(name, arn, account, reason=row.documentation)
                    decision = self.decide(principal, wanted)
                    if not decision.allowed:
                        denied.append(Denial(principal.arn, principal.role, wanted, decision))
        return denied

    def _log_group_of(self, resource: dict[str, Any]) -> str | None:
        """The log group AWS writes for ``resource``: a function's own, the API's access log."""
        template = self.deployment.template
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and "LoggingConfig" in props:
            return template.physical_name(props["LoggingConfig"]["LogGroup"]["Ref"])
        if resource["Type"] == "AWS::ApiGateway::Account":
            for stage in template.resources_of_type("AWS::ApiGateway::Stage").values():
                destination = stage["Properties"].get("AccessLogSetting", {}).get("DestinationArn")
                if destination is not None:
                    return template.physical_name(destination["Fn::GetAtt"][0])
        return None

    # -- the botocore handlers ----------------------------------------------------------------

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = json.loads(json.dumps(params, default=str))

    def _principal(self, request_signer: Any) -> Principal | None:
        credentials = getattr(request_signer, "_credentials", None)
        if credentials is not None and credentials.access_key in self.sessions:
            return self.sessions[credentials.access_key]
        if credentials is not None and credentials.access_key == INTERPRETER_ACCESS_KEY:
            machine = calling_state_machine()
            if machine is None:
                raise RuntimeError("an interpreter call outside an execution: no state machine to act as")
            return self.state_machines[machine.rsplit(":", 1)[-1]]
        principal: Principal | None = getattr(self._local, "principal", None)
        return principal

    def _authorize(
        self, model: Any, params: dict[str, Any], request_signer: Any, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        principal = self._principal(request_signer)
        if principal is None:
            return None  # the engine itself, as the operator
        region = context.get("client_region") or self.deployment.region
        context[_ASKED] = (principal, model, region)
        denial = self._denial(principal, model, context.get(_PARAMS, {}), region)
        return None if denial is None else _access_denied(model, params, denial.message)

    def _authorize_retry(self, request: Any, **_: Any) -> None:
        """AWS authorizes every request it receives, so the SDK's retry of a call (after a lost
        answer, a throttle) is decided again, on the state of that moment: a delete whose first
        attempt took effect finds no resource tags the second time. Raised as the attempt's
        failure (botocore returns an exception raised in ``before-send`` as the attempt's), which
        the retry handler does not retry: the caller gets AWS's AccessDeniedException."""
        context = getattr(request, "context", None) or {}
        asked = context.get(_ASKED)
        if asked is None or context.get("retries", {}).get("attempt", 1) <= 1:
            return
        principal, model, region = asked
        denial = self._denial(principal, model, context.get(_PARAMS, {}), region)
        if denial is not None:
            error = {"Code": "AccessDeniedException", "Message": denial.message}
            metadata = {"HTTPStatusCode": _denied_status(model)}
            raise ClientError({"Error": error, "ResponseMetadata": metadata}, model.name)

    def _denial(self, principal: Principal, model: Any, params: dict[str, Any], region: str) -> Denial | None:
        """The first of the call's authorizations IAM denies, or None when it allows them all."""
        service = model.service_model.signing_name
        for authorization in authorizations(service, model.name, params, principal.account, region):
            decision = self.decide(principal, authorization, self._resource_policy(authorization))
            if not decision.allowed:
                return Denial(principal.arn, principal.role, authorization, decision)
        return None

    def _session_opened(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """A spoke session AWS granted: its calls are the spoke role's from now on."""
        credentials = parsed.get("Credentials")
        params = context.get(_PARAMS, {})
        spoke = self._spoke_of(str(params.get("RoleArn", "")))
        if not credentials or spoke is None:
            return
        tags = tuple(sorted((tags_of(params) or {}).items()))
        name = spoke.role.arn.rsplit("/", 1)[-1]
        session = f"arn:aws:sts::{spoke.account}:assumed-role/{name}/{params['RoleSessionName']}"
        self.sessions[credentials["AccessKeyId"]] = Principal(
            session,
            spoke.account,
            spoke.role.policies,
            spoke.role.logical_id,
            tags,
            params.get("SourceIdentity"),
        )

    def _spoke_of(self, role_arn: str) -> Spoke | None:
        """The spoke whose role ``role_arn`` is, in an account the StackSet has reached."""
        parts = role_arn.split(":")
        if len(parts) != 6 or not self.has_spoke(parts[4]) or not self.deployment.spoke_role_name:
            return None
        spoke = self.deployment.spoke(parts[4])
        return spoke if spoke.role.arn == role_arn else None

    def has_spoke(self, account: str) -> bool:
        """Whether the spoke StackSet has reached ``account``."""
        return account in self.spoke_accounts or (self.spoke_in_organization and account in self.organization)

    def _resource_policy(self, authorization: Authorization) -> dict[str, Any] | None:
        if authorization.action == "events:PutEvents" and ":event-bus/" in authorization.resource:
            return self.deployment.bus_policy(authorization.resource.rsplit("/", 1)[-1])
        if authorization.action in ("sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"):
            # a role's trust policy; a role that does not exist there trusts no one
            spoke = self._spoke_of(authorization.resource)
            return spoke.trust if spoke is not None else NO_SUCH_ROLE
        if authorization.action.startswith("kms:"):
            ours = self.deployment.key_policy(authorization.resource)
            return ours if ours is not None else default_key_policy(authorization.account)
        return None


#: the trust policy of a role that does not exist (AWS answers AccessDenied for it, as for a trust
#: that does not admit the caller): it admits nobody
NO_SUCH_ROLE: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
            "Action": "sts:AssumeRole",
        },
    ],
}


def default_key_policy(account: str) -> dict[str, Any]:
    """A KMS key's default key policy: it lets the account's IAM policies decide. A key whose
    policy does not delegate to IAM must name repolink's roles itself (see the runbook).
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def _access_denied(model: Any, request: dict[str, Any], message: str) -> tuple[AWSResponse, dict[str, Any]]:
    """AWS's answer to a denied call: the service's AccessDeniedException, parsed as botocore would."""
    status = _denied_status(model)
    headers = {"x-amzn-requestid": "local-iam", "x-amzn-errortype": "AccessDeniedException"}
    http = AWSResponse(request.get("url", ""), status, headers, MockRawResponse(b""))  # type: ignore[arg-type]
    parsed = {
        "Error": {"Code": "AccessDeniedException", "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers},
    }
    return http, parsed


def _denied_status(model: Any) -> int:
    """The HTTP status of the service's AccessDeniedException (400 where its model has none)."""
    try:
        shape = model.service_model.shape_for("AccessDeniedException")
        return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
    except Exception:  # a service whose model has no such shape answers 400
        return 400
