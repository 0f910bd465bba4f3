"""The same schema, data and queries three ways: raw sqlite3, SQLAlchemy 2's ORM and Django's.

Run `python -m benchmarks` (or `make bench`; `make bench-quick` for the small size CI runs).
Results and how to read them: docs/performance.md.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

# The data all three load, as plain tuples: (username, email, password, date joined) and
# (body, timestamp, author id).
UserRow = tuple[str, str, str, datetime]
PostRow = tuple[str, datetime, int]


class Contender(Protocol):
    """What `python -m benchmarks` loads and times on each of the three, the same way."""

    name: str
    queries: int  # the queries run so far (Django's are counted by Django instead)

    def create_schema(self) -> None: ...
    def load_users(self, users: Sequence[UserRow]) -> None: ...
    def load_posts(self, batch: Sequence[PostRow]) -> None: ...
    def timeline(self, author_id: int) -> Sequence[Any]: ...
    def public_page(self) -> Sequence[Any]: ...
    def posts_per_user(self) -> Sequence[Any]: ...
    def insert_one(self, body: str, moment: datetime, author_id: int) -> None: ...
    def close(self) -> None: ...
