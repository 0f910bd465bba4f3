"""Where a page of `/` starts: a cursor on (timestamp, id), and the `?before=` moment.

A cursor names a post by the two values the newest-first order sorts on, so the next page is
"the 20 posts after this one in that order", read straight from the `post_newest_first_idx`
index however deep it is. A page number would make the database skip every post before it
(OFFSET), which costs more the older the page.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

from django.core.exceptions import BadRequest
from django.utils.dateparse import parse_datetime

# 20240601T120000.123456Z_12345: basic ISO 8601 in UTC, then the id. Nothing in it needs
# percent-escaping in a URL, and a person can still read the date.
CURSOR = re.compile(r"(?P<moment>\d{8}T\d{6}\.\d{6}Z)_(?P<id>[1-9]\d{0,18})", re.ASCII)
MOMENT_FORMAT = "%Y%m%dT%H%M%S.%fZ"
# Ids are 64-bit signed integers on every backend (BigAutoField).
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Cursor:
    timestamp: datetime
    id: int

    @classmethod
    def of(cls, post: Mapping[str, Any]) -> Self:
        return cls(post["timestamp"], post["id"])

    @classmethod
    def parse(cls, text: str) -> Self:
        """The cursor in a newer/older link; BadRequest (400) for anything we did not write."""
        match = CURSOR.fullmatch(text)
        if not match or int(match["id"]) > MAX_ID:
            raise BadRequest("This page link is broken: start again from the newest posts.")
        try:
            moment = datetime.strptime(match["moment"], MOMENT_FORMAT)
        except ValueError:  # the right shape, but 20241399T…: not a date
            raise BadRequest(
                "This page link is broken: start again from the newest posts."
            ) from None
        return cls(moment.replace(tzinfo=UTC), int(match["id"]))

    def __str__(self) -> str:
        return f"{self.timestamp.astimezone(UTC).strftime(MOMENT_FORMAT)}_{self.id}"


def parse_moment(text: str) -> datetime:
    """`?before=2024-06-01` or any ISO 8601 date and time; a time without an offset is UTC."""
    try:
        moment = parse_datetime(text.strip())
        if moment is None:
            raise ValueError
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        # OverflowError: 0001-01-01T00:00+05:00 is before the first moment a datetime can hold.
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadRequest(
            f"before={text[:40]!r} is not a date: use an ISO 8601 date such as 2024-06-01, "
            "or a date and time such as 2024-06-01T12:00:00Z"
        ) from None
