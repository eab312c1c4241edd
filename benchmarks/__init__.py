"""Benchmarks: `python -m benchmarks` runs every `bench_*.py` module's `main()` and prints figures
beside their floors (raw sqlite3, plain reportlab, a bare PySide6 window)."""
