"""The site's URLs plus two that fail on purpose, for the error page and logging tests."""

from django.contrib.auth.decorators import login_required
from django.db import OperationalError
from django.urls import path

from microblog.urls import handler400, handler500, urlpatterns  # noqa: F401 (Django reads them)


@login_required  # an editor's page: the user is known when it fails
def crash(request):
    raise RuntimeError("a bug in a view")


def lose_the_database(request):
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    *urlpatterns,
    path("crash/", crash),
    path("lose-the-database/", lose_the_database),
]
