"""Jaring's benchmarks: ``python -m bench NAME --size N``; each prints one JSON line per figure."""
