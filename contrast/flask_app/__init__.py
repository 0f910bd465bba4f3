"""The chapter's Flask app, written from its description so both stacks run side by side.

    flask --app contrast.flask_app db upgrade     # migrates $DATABASE_URL, default flask_app/app.db
    flask --app contrast.flask_app shell          # the chapter's Play Time

Its packages are an optional extra (`requirements-flask.txt`); Django never imports this package.
"""

import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from contrast.flask_app.config import Config

db = SQLAlchemy()
# An absolute path: `flask db ...` then works from any folder, not only from this one.
migrate = Migrate(directory=os.path.join(os.path.dirname(__file__), "migrations"))


def create_app(config_class=Config):
    app = Flask(__name__)
    app.config.from_object(config_class)
    db.init_app(app)
    migrate.init_app(app, db)

    from contrast.flask_app import models

    @app.shell_context_processor
    def make_shell_context():
        return {"db": db, "User": models.User, "Post": models.Post}

    return app
