"""Logger, Tracer and Metrics, created once for every handler.

The service name and metrics namespace come from the template's ``Globals``
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``).
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
