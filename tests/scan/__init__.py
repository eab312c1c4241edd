"""Scanned paper forms: the generator of realistic scans and the tests that read them."""
