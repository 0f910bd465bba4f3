"""The public page: newest posts first, with their authors, a page at a time."""

from django.http import Http404
from django.shortcuts import render

from blog.models import Post

POSTS_PER_PAGE = 20


def index(request):
    # Newer/older links instead of "page 3 of 50,000": a page count needs COUNT(*) over every
    # post on every view, which grows with the table. Reading one row past the page tells us
    # whether an older page exists, for the price of one extra row.
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        raise Http404("No such page") from None
    if number < 1:
        raise Http404("No such page")
    start = (number - 1) * POSTS_PER_PAGE
    posts = list(Post.objects.for_public_page()[start : start + POSTS_PER_PAGE + 1])
    if not posts and number > 1:
        raise Http404("No such page")
    return render(
        request,
        "blog/index.html",
        {
            "posts": posts[:POSTS_PER_PAGE],
            "page_number": number,
            "newer_page": number - 1 if number > 1 else None,
            "older_page": number + 1 if len(posts) > POSTS_PER_PAGE else None,
        },
    )
