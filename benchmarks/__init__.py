"""The same schema, data and queries three ways: raw sqlite3, SQLAlchemy 2's ORM and Django's.

Run `python -m benchmarks` (or `make bench`; `make bench-quick` for the small size CI runs).
Results and how to read them: docs/performance.md.
"""
