"""`python -m caseworker` is the same as the `caseworker` console script."""

import sys

from caseworker.cli import main

sys.exit(main())
