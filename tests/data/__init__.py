"""Sample files for the import tests, written by `python -m tests.data.generate`."""
