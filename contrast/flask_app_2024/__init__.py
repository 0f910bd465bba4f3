"""The chapter's Flask app as the tutorial's repository has it today (its 2024 edition, tag v0.4:
SQLAlchemy 2 typed models), beside the 2018 edition's in `contrast/flask_app/`.

    make flask-upgrade TWIN=flask_app_2024   # flask db upgrade: $DATABASE_URL, else app.db here
    make flask-shell TWIN=flask_app_2024     # flask shell, with sa, so, db, User and Post

Its packages are an optional extra (`requirements-flask.txt`); Django never imports this package.
"""

import os

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from contrast.flask_app_2024.config import Config

db = SQLAlchemy()
# An absolute path: `flask db ...` then works from any folder, not only from this one.
migrate = Migrate(directory=os.path.join(os.path.dirname(__file__), "migrations"))


def create_app(config_class=Config):
    app = Flask(__name__)
    app.config.from_object(config_class)
    db.init_app(app)
    migrate.init_app(app, db)

    from contrast.flask_app_2024 import models

    # The chapter's microblog.py: what `flask shell` has imported.
    @app.shell_context_processor
    def make_shell_context():
        return {"sa": sa, "so": so, "db": db, "User": models.User, "Post": models.Post}

    return app
