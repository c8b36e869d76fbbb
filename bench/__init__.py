"""Benchmarks (``make bench`` or ``python -m bench``); results go to bench/results/."""
