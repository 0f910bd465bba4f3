"""Flask-Admin as its docs show a newcomer: an `Admin` and a `ModelView` for each model, nothing
else. Every visitor may use it, and its forms carry no CSRF token (docs/admin-contrast.md)."""

import os

from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView

from contrast.flask_app_2024 import create_app as create_twin
from contrast.flask_app_2024 import db
from contrast.flask_app_2024.config import Config
from contrast.flask_app_2024.models import Post, User


class DocumentedConfig(Config):
    # Flask-Admin's messages ("Record was successfully created.") live in the session.
    SECRET_KEY = os.environ.get("SECRET_KEY") or "you-will-never-guess"


def create_app(config_class=DocumentedConfig):
    app = create_twin(config_class)
    admin = Admin(app, name="microblog")
    admin.add_view(ModelView(User, db))
    admin.add_view(ModelView(Post, db))
    return app
