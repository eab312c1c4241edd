"""Benchmarks: `python3 dev.py bench` runs every `benchmarks/bench_*.py` module's `main()`."""
