"""What the state machine passes between tasks: each task's input and output, one module per job,
so a task handler loads the shapes it reads and no others (cold start).

- :mod:`.common`: connections, hosts and their polls; failures and outcomes
- :mod:`.connection`, :mod:`.proton`, :mod:`.codeartifact`, :mod:`.gitsync`: the inputs that carry a
  request section (the shapes of :mod:`repolink.models.sections`)
- :mod:`.results`: what each link target reports, and the report step's input
- :mod:`.offboarding`: what each removal step is given and reports
"""
