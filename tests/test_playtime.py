"""The chapter's "Play Time", replayed step by step through Django's ORM."""

from pathlib import Path

import pytest

from accounts.models import User
from blog.models import Post
from tests.pycon import replay


# reset_sequences: the chapter's ids 1 and 2 assume a new database.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_play_time():
    # Two users; Django saves at once (autocommit): no session to add to and commit.
    User(username="mary", email="mary@mail.com").save()
    User(username="lucy", email="lucy@mail.com").save()

    # All users, with the ids the database gave them. (The chapter's `User.query.all()` has no
    # ORDER BY either; ordering by id makes its "insertion order" explicit.)
    users = User.objects.order_by("id")
    assert repr(list(users)) == "[<User mary>, <User lucy>]"
    assert [(u.id, u.username) for u in users] == [(1, "mary"), (2, "lucy")]

    # `User.query.get(1)` is `User.objects.get(pk=1)`.
    assert repr(User.objects.get(pk=1)) == "<User mary>"
    assert repr(User.objects.get(pk=2)) == "<User lucy>"

    # A post, its author given as an object; the timestamp fills itself in.
    u = User.objects.get(pk=1)
    Post(body="This is my first post with Microblog!", author=u).save()

    # A user's posts, and a user without any.
    assert repr(list(User.objects.get(pk=1).posts.all())) == (
        "[<Post This is my first post with Microblog!>]"
    )
    assert list(User.objects.get(pk=2).posts.all()) == []

    # Each post with its author's username (one query thanks to select_related).
    rows = [(p.id, p.author.username, p.body) for p in Post.objects.select_related("author")]
    assert rows == [(1, "mary", "This is my first post with Microblog!")]

    # All users in alphabetical order.
    assert repr(list(User.objects.order_by("username"))) == "[<User lucy>, <User mary>]"

    # Clean up: deleting the users deletes their posts too (on_delete=CASCADE).
    for u in User.objects.all():
        u.delete()
    assert list(User.objects.all()) == []
    assert list(Post.objects.all()) == []


def test_shell_plus_imports_the_models(manage):
    result = manage("shell_plus", "--quiet-load", "-c", "print(User, Post)")

    assert result.returncode == 0, result.stderr
    assert "<class 'accounts.models.User'> <class 'blog.models.Post'>" in result.stdout


# A fresh database, as the README's shell session assumes (ids 1 and 2).
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_readmes_play_time_gives_the_output_shown():
    attempted, failures = replay(
        Path(__file__).resolve().parent.parent / "README.md", {"User": User, "Post": Post}
    )

    assert not failures, failures
    assert attempted >= 10  # the whole block ran, not an empty match
