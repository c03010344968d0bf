"""translate(): botocore errors become our named, retry-aware errors."""

import pytest
from botocore.exceptions import ClientError

from repolink.adapters.aws import translate
from repolink.errors import AwsAccessDenied, AwsConflict, AwsNotFound, AwsRequestRejected, TransientAwsError

pytestmark = pytest.mark.unit


def error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "msg"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 400, TransientAwsError),
        ("TooManyRequestsException", 429, TransientAwsError),
        ("InternalServerException", 500, TransientAwsError),
        ("SomethingNew", 503, TransientAwsError),
        ("AccessDeniedException", 403, AwsAccessDenied),
        ("ResourceNotFoundException", 404, AwsNotFound),
        ("ConflictException", 409, AwsConflict),
        ("ValidationException", 400, AwsRequestRejected),
    ],
)
def test_translation(code: str, status: int, kind: type) -> None:
    translated = translate(error(code, status), "codeartifact", "CreateRepository")
    assert type(translated) is kind
    assert translated.code == code and translated.service == "codeartifact"
    assert "CreateRepository" in str(translated) and "msg" in str(translated)
