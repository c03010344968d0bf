"""Logger, Tracer and Metrics, created once for every handler.

The service name and metrics namespace come from the template's ``Globals``
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``).
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
#: only botocore is patched: it is the only traced library repolink uses, and patching every
#: library X-Ray supports would import each of them at cold start
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
