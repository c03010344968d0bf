"""The security gate's facts, in one place: what may use ``Resource: "*"``, and why.

Read by ``tests/unit/test_security_gate.py``, which checks the template as the SAM translator
expands it (policy templates included) against these lists and against the operations each
function's code calls (the ``OPERATIONS`` constants of ``repolink.adapters.*``).
"""

from __future__ import annotations

#: actions with no resource type in the Service Authorization Reference, so ``Resource: "*"``
#: is the only possible scope. Reason quoted from the AWS documentation.
UNSCOPABLE: dict[str, str] = {
    "codeconnections:ListConnections": "ListConnections lists every connection of the account;"
    " it has no resource type.",
    "codestar-connections:ListConnections": "Same API under its former name; no resource type.",
    "apprunner:ListConnections": "App Runner's ListConnections is account-wide; it has no resource type.",
    "logs:CreateLogDelivery": "Vended-log delivery actions support only '*' (Step Functions logging guide).",
    "logs:GetLogDelivery": "Vended-log delivery: '*' only.",
    "logs:UpdateLogDelivery": "Vended-log delivery: '*' only.",
    "logs:DeleteLogDelivery": "Vended-log delivery: '*' only.",
    "logs:ListLogDeliveries": "Vended-log delivery: '*' only.",
    "logs:PutResourcePolicy": "Log resource policies are account-level; '*' only.",
    "logs:DescribeResourcePolicies": "Account-level listing; '*' only.",
    "logs:DescribeLogGroups": "Account-level listing; '*' only.",
    "xray:PutTraceSegments": "X-Ray trace APIs have no resource type (tracing for the state machine).",
    "xray:PutTelemetryRecords": "X-Ray trace APIs have no resource type.",
    "xray:GetSamplingRules": "X-Ray sampling APIs have no resource type.",
    "xray:GetSamplingTargets": "X-Ray sampling APIs have no resource type.",
}

#: AWS managed policies SAM attaches, and why they are acceptable
MANAGED_POLICIES: dict[str, str] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": "write the function's own logs",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": "send traces (Tracing: Active); write-only",
}

#: actions IAM checks that are not API calls the code makes itself
AUTHORIZATION_ONLY: dict[str, str] = {
    "codeconnections:UseHost": "required to create a connection on a"
    " GitHub Enterprise Server / GitLab self-managed host",
    "codestar-connections:UseHost": "same, former name",
    "codeconnections:PassConnection": "Proton passes the connection to its service:"
    " checked on CreateRepository",
    "codestar-connections:PassConnection": "same, former name",
    "codeconnections:TagResource": "CreateConnection with Tags is authorized as TagResource too",
    "codestar-connections:TagResource": "same, former name",
    "apprunner:TagResource": "CreateConnection with Tags",
    "proton:TagResource": "CreateRepository with tags",
    "codeartifact:TagResource": "CreateDomain / CreateRepository with tags",
    "codeartifact:AssociateWithDownstreamRepository": "checked on each upstream when"
    " CreateRepository lists upstreams",
}

#: a resource type CloudFormation could create but the gate requires encrypted, and where it looks
ENCRYPTION: dict[str, str] = {
    "AWS::SQS::Queue": "SqsManagedSseEnabled or KmsMasterKeyId",
    "AWS::DynamoDB::Table": "SSESpecification.SSEEnabled",
    "AWS::Logs::LogGroup": "KmsKeyId",
}
