"""Resource tags: AWS's limits, and the tags repolink puts on what it creates (its ownership tags).

Light on purpose: the task handlers and ``workflow.tenancy`` read these without the request contract.
"""

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_MAX = 200
#: the tags repolink puts on every connection it creates (``workflow.tenancy``): a request may not
#: set them, and they count against the connection's 200
RESERVED_CONNECTION_TAGS = ("repolink:request-id", "repolink:owner-account")
CONNECTION_TAGS_MAX = TAGS_MAX - len(RESERVED_CONNECTION_TAGS)
#: the tags repolink puts on every CodeArtifact domain and repository it creates, as on a
#: connection: the onboarding's request id (so a retried step knows what it made itself) and the
#: account the onboarding belongs to (so another team's request may not use it,
#: ``workflow.tenancy``); a request may not set them, and they count against the 200 too
RESERVED_CODEARTIFACT_TAGS = RESERVED_CONNECTION_TAGS
#: the first of them: the request id, which provenance and removal read
RESERVED_CODEARTIFACT_TAG = RESERVED_CODEARTIFACT_TAGS[0]
CODEARTIFACT_TAGS_MAX = TAGS_MAX - len(RESERVED_CODEARTIFACT_TAGS)
