"""Benchmarks: `make bench` (python -m benchmarks [NAME ...]) runs every bench_*.py module."""
