"""repolink: connect a Git provider and set up repositories, as Lambda handlers for one state machine.

boto3 is imported here, before anything else a handler loads, on purpose. Every handler needs it,
and it is the largest import; loaded first, into a small heap, it costs less: the cyclic garbage
collector's full passes during its import then have fewer live objects to walk. Measured with
``bench/cold_start.py`` (CPython 3.13, Lambda-like environment): a handler importing Powertools
and X-Ray before boto3 took 16-45 ms longer to import (7 ms with the collector off).
"""

import boto3  # noqa: F401  # first, on purpose: see above
