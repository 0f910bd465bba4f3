"""What a type checker knows of our models: mypy with django-stubs' plugin reveals each type
below. docs/contrast.md ("Today's edition") shows them beside flask_2024_models.py's, and
tests/test_typing_probes.py keeps the two equal. Read by mypy only, never run."""

from typing import reveal_type

from accounts.models import User
from blog.models import Post


def probe(post: Post, user: User) -> None:
    # a post's author
    reveal_type(post.author)
    # a user's posts
    reveal_type(user.posts)
    # reading them
    reveal_type(user.posts.all())
    # a query's rows
    reveal_type(list(Post.objects.filter(author=user)))
    # a row of chosen columns
    reveal_type(Post.objects.values("id", "body")[0])
