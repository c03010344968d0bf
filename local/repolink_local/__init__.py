"""The local world: repolink's deployed template, state machines and handlers, run in-process on
moto and the stand-ins (``repolink local run|api|event|serve``, ``repolink validate``).

Lambda sets a function's environment before it imports the handler, and importing ``repolink``
creates Powertools' Logger, Metrics and Tracer (``functions/repolink/__init__.py``), which read
their service name and metrics namespace then. The local world imports ``repolink`` before an
engine sets any function's environment, so the template's ``Globals`` Powertools variables are
set here first (a value already in the environment is kept).
"""

import os as _os

from repolink_local.template import powertools_environment as _powertools_environment

for _name, _value in _powertools_environment().items():
    _os.environ.setdefault(_name, _value)
