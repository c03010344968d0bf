"""repolink: connect a Git provider and set up repositories, as Lambda handlers for one state machine.

Importing it loads the libraries every handler uses, first and with the cyclic garbage collector
paused: boto3, then Powertools' Logger, Metrics and Tracer (``observability``). What they build
lives as long as the process, so the collector's passes over it during their import (about 27M
instructions for boto3's alone) find almost nothing to free; and once they are loaded it is frozen
(:func:`gc.freeze`), so the collector's passes during repolink's own imports, and after, never
walk it again. The cost: the few hundred unreachable objects their import leaves (286, measured)
are never freed.

boto3 comes first on purpose: it is the largest import, and into a small heap it costs less.
Measured with ``bench/cold_start.py`` (CPython 3.13, Lambda-like environment) before the collector
was paused here: a handler importing Powertools and X-Ray before boto3 took 16-45 ms longer to
import. With the pause and the freeze, its instruction counts put each handler 0.05x to 0.06x of a
bare boto3 import lower (31M to 37M instructions; the API from +0.115x to +0.057x above its
floor); the freeze alone gave 0.007x.
"""

import gc

_collecting = gc.isenabled()
gc.disable()
try:
    import boto3  # noqa: F401  # first, on purpose: see above

    import repolink.observability  # noqa: F401  # the libraries every handler loads
finally:
    gc.freeze()
    if _collecting:
        gc.enable()
