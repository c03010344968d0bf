"""The shape of a request id: ``rl-`` and 40 hexadecimal digits (``workflow.idempotency`` makes
them; the API's paths, the events' fields and the listing read them)."""

REQUEST_ID_PATTERN = "rl-[0-9a-f]{40}"
