"""Bundles: export from the journal, import, merge, crypto, manifest."""
