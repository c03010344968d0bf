"""The ``repolink`` command, and its client verbs for a deployed stack (or ``repolink local serve``).

Installs alone: ``pip install .`` brings botocore, urllib3 and rich, nothing of the local world.
:mod:`repolink_client.cli` is the entry point; :mod:`repolink_client.client` the verbs.
"""
