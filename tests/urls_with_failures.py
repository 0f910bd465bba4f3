"""The site's URLs plus a few for the error page and logging tests: two fail on purpose, one
changes the visitor's session."""

from django.contrib.auth.decorators import login_required
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path

from microblog.urls import handler400, handler500, urlpatterns  # noqa: F401 (Django reads them)


@login_required  # an editor's page: the user is known when it fails
def crash(request):
    raise RuntimeError("a bug in a view")


def lose_the_database(request):
    raise OperationalError("server closed the connection unexpectedly")


def change_the_session(request):
    request.session["visits"] = request.session.get("visits", 0) + 1
    return HttpResponse("counted")


urlpatterns = [
    *urlpatterns,
    path("crash/", crash),
    path("lose-the-database/", lose_the_database),
    path("change-the-session/", change_the_session),
]
