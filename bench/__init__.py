"""Lectern's benchmarks: `make bench` (or `python -m bench.run`) writes docs/benchmarks.md."""
