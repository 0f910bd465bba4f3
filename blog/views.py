"""The public page: newest posts first, with their authors, 20 at a time.

Pages link to each other by cursor (blog/cursors.py), never by number: `?older=<cursor>` is the
20 posts after that one, `?newer=<cursor>` the 20 before it, and `?before=2024-06-01` opens the
archive at the newest post older than that moment. Each is one query, read from an index, as
fast a million posts deep as on the first page.
"""

from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from blog.cursors import Cursor, parse_moment
from blog.models import Post

POSTS_PER_PAGE = 20


def index(request: HttpRequest) -> HttpResponse:
    if "page" in request.GET:
        # The old numbered pages (?page=3). Their contents shifted with every new post, so an
        # old link never named the same posts for long; send it, permanently, to the newest.
        return redirect("blog:index", permanent=True)
    given = [name for name in ("older", "newer", "before") if name in request.GET]
    if len(given) > 1:
        raise BadRequest(f"Give one of older, newer and before, not {' and '.join(given)}.")
    posts = Post.objects.all()
    context: dict[str, Any] = {"newest_link": bool(given), "before": None}

    if "newer" in request.GET:
        cursor = Cursor.parse(request.GET["newer"])
        # Read nearest first (one row extra: is there a page newer still?), show newest first.
        rows = list(
            posts.newer_than(cursor.timestamp, cursor.id).for_public_page()[: POSTS_PER_PAGE + 1]
        )
        if not rows:
            return redirect("blog:index")
        page = rows[:POSTS_PER_PAGE][::-1]
        context["newer"] = Cursor.of(page[0]) if len(rows) > POSTS_PER_PAGE else None
        context["older"] = Cursor.of(page[-1])
    else:
        if "older" in request.GET:
            cursor = Cursor.parse(request.GET["older"])
            posts = posts.older_than(cursor.timestamp, cursor.id)
        elif "before" in request.GET:
            context["before"] = parse_moment(request.GET["before"])
            posts = posts.filter(timestamp__lt=context["before"])
        # One row past the page tells whether an older page exists, without a COUNT.
        rows = list(posts.for_public_page()[: POSTS_PER_PAGE + 1])
        page = rows[:POSTS_PER_PAGE]
        context["older"] = Cursor.of(page[-1]) if len(rows) > POSTS_PER_PAGE else None
        context["newer"] = Cursor.of(page[0]) if given and page else None

    context["posts"] = page
    # Past the oldest post, or before the first one: nothing here, and crawlers should know.
    status = 404 if given and not page else 200
    return render(request, "blog/index.html", context, status=status)
