"""What a type checker knows of the 2024 twin's models (contrast/flask_app_2024/, SQLAlchemy 2's
`Mapped[...]`): mypy reveals each type below. docs/contrast.md ("Today's edition") shows them
beside django_models.py's, and tests/test_typing_probes.py keeps the two equal. Read by mypy
only, never run."""

from typing import reveal_type

import sqlalchemy as sa

from contrast.flask_app_2024 import db
from contrast.flask_app_2024.models import Post, User


def probe(post: Post, user: User) -> None:
    # a post's author
    reveal_type(post.author)
    # a user's posts
    reveal_type(user.posts)
    # reading them
    reveal_type(db.session.scalars(user.posts.select()).all())
    # a query's rows
    reveal_type(db.session.scalars(sa.select(Post).where(Post.user_id == user.id)).all())
    # a row of chosen columns
    reveal_type(db.session.execute(sa.select(Post.id, Post.body)).one())
