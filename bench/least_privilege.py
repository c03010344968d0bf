"""Least privilege, measured both ways: every scenario passes with the roles as they are, and
every grant of every role, taken away, fails the scenario that used it (naming the grant).

    python bench/least_privilege.py            # the whole matrix
    python bench/least_privilege.py --sample 8 # eight grants, picked by --seed

The logic lives in ``repolink_local.iam.matrix``; the test command runs a sample of it.
"""

from __future__ import annotations

import sys

from repolink_local.iam.matrix import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
