"""`manage.py seed_demo`: demo users and posts, the same for a seed, in whole batches."""

import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.models import User
from blog import demo_data
from blog.models import Post
from tests.child_process import PROJECT_ROOT, child_environment, run_python
from tests.factories import PostFactory, UserFactory

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def snapshot():
    return list(
        Post.objects.order_by("timestamp", "body").values_list(
            "author__username", "body", "timestamp"
        )
    )


def seed(seed, users=20, posts=300, batch_size=50):
    rng = random.Random(seed)
    demo_data.create_users(users, rng, NOW, batch_size=7)
    demo_data.create_posts(posts, rng, NOW, batch_size=batch_size)


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data():
    seed(42)
    first = snapshot()
    demo_data.delete_demo_data()
    seed(42)

    assert snapshot() == first
    demo_data.delete_demo_data()
    seed(43)
    assert snapshot() != first


@pytest.mark.django_db
def test_the_batch_size_changes_nothing_but_the_transactions():
    seed(42, batch_size=50)
    first = snapshot()
    demo_data.delete_demo_data()

    seed(42, batch_size=7)

    assert snapshot() == first


@pytest.mark.django_db
def test_ids_follow_timestamps_as_real_posts_do_even_across_runs():
    call_command("seed_demo", users=5, posts=300, batch_size=40)
    call_command("seed_demo", posts=200, batch_size=40)

    timestamps = list(Post.objects.order_by("id").values_list("timestamp", flat=True))
    assert len(timestamps) == 500
    assert timestamps == sorted(timestamps)


@pytest.mark.django_db
def test_posts_look_real_and_spread_over_time_and_authors():
    seed(1, users=50, posts=2000)

    posts = snapshot()
    assert len(posts) == 2000
    assert all(0 < len(body) <= 140 for _, body, _ in posts)
    assert len({body for _, body, _ in posts}) > 500
    # Two years, and no post in the future.
    assert (posts[-1][2] - posts[0][2]).days > 600
    assert posts[-1][2] <= NOW
    # Some authors write a lot, most a little.
    per_author = sorted(
        User.objects.filter(username__startswith="demo_")
        .annotate(n=Count("posts"))
        .values_list("n", flat=True)
    )
    assert per_author[-1] > 5 * per_author[len(per_author) // 2]


@pytest.mark.django_db
def test_a_second_run_adds_users_with_new_names_and_more_posts(capsys):
    call_command("seed_demo", users=5, posts=40, batch_size=3)
    call_command("seed_demo", users=5, posts=40, batch_size=3)

    names = sorted(User.objects.values_list("username", flat=True))
    assert names == [f"demo_{n:07d}" for n in range(1, 11)]
    assert Post.objects.count() == 80
    assert "Added 5 users and 40 posts." in capsys.readouterr().out


@pytest.mark.django_db
def test_posts_alone_go_to_the_existing_demo_users():
    call_command("seed_demo", users=3)
    call_command("seed_demo", posts=30)

    assert Post.objects.filter(author__username__startswith="demo_").count() == 30


@pytest.mark.django_db
def test_reset_deletes_demo_data_and_nothing_else():
    mine = PostFactory(author=UserFactory(username="mary"))
    call_command("seed_demo", users=4, posts=30)

    call_command("seed_demo", reset=True, users=2, posts=10)

    assert sorted(User.objects.values_list("username", flat=True)) == [
        "demo_0000001",
        "demo_0000002",
        "mary",
    ]
    assert Post.objects.count() == 11
    assert Post.objects.filter(pk=mine.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"users": 0}, "--users must be 1 or more, got 0"),
        ({"users": 5, "posts": -3}, "--posts must be 1 or more, got -3"),
        ({"users": 5, "batch_size": 0}, "--batch-size must be 1 or more, got 0"),
        ({"posts": 10}, "--posts needs authors"),
        ({}, "nothing to do"),
    ],
)
def test_bad_input_is_one_clear_error_and_writes_nothing(options, message):
    UserFactory(username="mary")

    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", **options)
    assert User.objects.count() == 1
    assert Post.objects.count() == 0


def test_an_unmigrated_database_is_one_line_and_gets_no_tables(tmp_path):
    database = tmp_path / "empty.db"

    result = run_python(
        "manage.py", "seed_demo", "--users", "3", env={"DATABASE_URL": f"sqlite:///{database}"}
    )

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("CommandError: the database is not migrated (")
    assert line.endswith("run `python manage.py migrate` first")
    tables = sqlite3.connect(database).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []


def test_ctrl_c_keeps_whole_batches_and_says_how_many(tmp_path):
    # A real SIGINT to a real process, on a SQLite file of its own: what is under test is
    # transaction.atomic around each batch, which behaves alike on every backend.
    database = tmp_path / "seed.db"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    assert run_python("manage.py", "migrate", "-v0", env=env).returncode == 0
    child = subprocess.Popen(
        [sys.executable, "manage.py", "seed_demo", "--users", "50", "--posts", "10000000"]
        + ["--batch-size", "2000"],
        cwd=PROJECT_ROOT,
        env=child_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader = sqlite3.connect(database)
    deadline = time.monotonic() + 60
    while reader.execute("SELECT count(*) FROM blog_post").fetchone()[0] < 4000:
        assert time.monotonic() < deadline, "no batch arrived within 60 s"
        time.sleep(0.05)

    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)

    written = reader.execute("SELECT count(*) FROM blog_post").fetchone()[0]
    assert child.returncode == 130
    assert written % 2000 == 0
    assert f"interrupted: wrote 50 users and {written} posts in whole batches" in stderr
    # The batch under way had set the insert trigger aside (blog.search.bulk_load_posts): it is
    # back, and the trigram table holds exactly the posts written (FTS5's check, rank 1 also
    # compares it with their bodies).
    triggers = reader.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    assert sorted(triggers) == [
        ("post_body_trigrams_delete",),
        ("post_body_trigrams_insert",),
        ("post_body_trigrams_update",),
    ]
    reader.execute(
        "INSERT INTO post_body_trigrams (post_body_trigrams, rank) VALUES ('integrity-check', 1)"
    )
