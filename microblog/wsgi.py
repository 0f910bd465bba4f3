"""WSGI entry point (gunicorn microblog.wsgi). Served means production unless told otherwise."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microblog.settings")
os.environ.setdefault("DJANGO_ENV", "production")

application = get_wsgi_application()
