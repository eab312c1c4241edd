"""`python -m caseworker.district` = `caseworker-district`."""

import sys

from caseworker.district.cli import main

sys.exit(main())
