"""A request's refusal by the contract, field by field, and the deployment that admits the sample."""

import pytest

from repolink.errors import FieldError, RequestValidationError
from repolink.models.validation import validate_request
from repolink.workflow.accept import Deployment

#: the Git sync role the samples name
ROLE = "arn:aws:iam::123456789012:role/acme-gitsync"
#: a deployment in the samples' account and Region that lists :data:`ROLE`
LISTED = Deployment(account="123456789012", region="us-east-1", git_sync_role_arns=frozenset({ROLE}))


def errors_of(body: object) -> list[FieldError]:
    """The errors of a body the contract refuses (it must refuse it)."""
    with pytest.raises(RequestValidationError) as caught:
        validate_request(body)
    return list(caught.value.errors)


def fields_of(body: object) -> list[str]:
    """The fields at fault in a body the contract refuses."""
    return [e.field for e in errors_of(body)]
