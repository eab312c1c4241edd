"""`python -m ui` (and the windowed executable of the installer) opens the application."""

import sys

from caseworker.cli import main

sys.exit(main(["gui", *sys.argv[1:]]))
