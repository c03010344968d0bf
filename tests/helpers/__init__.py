"""Helpers the test modules share, each written once (pyproject's ``pythonpath`` puts ``tests/`` on
the path, so a test imports them as ``helpers.NAME``). Fixtures stay in the ``conftest.py`` of
their tier; what is here is plain values and functions a fixture or a test calls.

- :mod:`helpers.asl`: walking a state machine's states;
- :mod:`helpers.contract`: a request's refusal, field by field;
- :mod:`helpers.decisions`: the deployment and Step Functions as the verbs' decisions see them;
- :mod:`helpers.engine`: requests and calls as the local engine's API takes them;
- :mod:`helpers.process`: one of our commands run as a person runs it, in a fresh process.
"""
