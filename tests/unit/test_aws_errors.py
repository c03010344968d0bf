"""translate(): botocore errors become our named, retry-aware errors."""

from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from repolink.adapters.aws import delete_idempotently, translate
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


def _raises(exc: Exception | None) -> Callable[[], None]:
    def act() -> None:
        if exc is not None:
            raise exc

    return act


DENIED = AwsAccessDenied("codeconnections", "DeleteConnection", "AccessDeniedException", "no tags to read")
GONE = AwsNotFound("codeconnections", "ListTagsForResource", "ResourceNotFoundException", "gone")


def test_a_delete_refused_on_a_resource_that_is_gone_counts_as_deleted() -> None:
    # the retry of a delete that took effect: IAM reads no ownership tags and refuses it
    delete_idempotently(_raises(DENIED), _raises(GONE))
    delete_idempotently(_raises(GONE), _raises(None))


def test_a_delete_refused_on_a_resource_that_is_there_stays_refused() -> None:
    with pytest.raises(AwsAccessDenied) as refused:
        delete_idempotently(_raises(DENIED), _raises(None))
    assert refused.value is DENIED
    # a read refused too: the delete's own refusal is the one reported
    read_denied = AwsAccessDenied("codeconnections", "ListTagsForResource", "AccessDeniedException", "read")
    with pytest.raises(AwsAccessDenied) as refused:
        delete_idempotently(_raises(DENIED), _raises(read_denied))
    assert refused.value is DENIED
