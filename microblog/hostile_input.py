"""Requests no page of ours can use are refused at the door, with a 400, before any view or
database sees them."""

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict


class RejectUnusableInputMiddleware:
    """Two kinds of request are a 400 here rather than a 500 further in:

    - A NUL character (0x00) in the path, the query string or the form data. No field of ours
      can hold one, and PostgreSQL refuses it in any text it is sent ("cannot contain NUL
      (0x00) bytes"), so a search or a lookup carrying one was a 500 there while SQLite and
      MariaDB answered; refusing it here treats all three alike.
    - An empty `_to_field` (the admin's "which field identifies the object"). Django's admin
      checks a non-empty one and answers 400 when it is not allowed, but lets an empty one
      through to a field lookup by the name "", which fails with a 500 (Django 5.2).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or has_nul(request.GET) or has_nul(request.POST):
            raise BadRequest("A request may not contain a NUL character (0x00).")
        if "" in request.GET.getlist("_to_field") + request.POST.getlist("_to_field"):
            raise BadRequest("_to_field must name a field.")
        return self.get_response(request)


def has_nul(query_dict: QueryDict) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in query_dict.lists()
    )
