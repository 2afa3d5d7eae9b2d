"""Benchmarks of the city data hub: each figure is measured beside a reference in the same run.

``cityioc bench`` (``make bench``) starts the real server as a subprocess on a fresh database per
benchmark and backend, drives it from separate load-generator processes over loopback, and writes
the figures to ``BENCHMARKS.md``. ``runner.run_benchmarks`` is the entry point.
"""
