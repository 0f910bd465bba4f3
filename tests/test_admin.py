"""The admin is the data-entry tool: it adds users and posts, shows errors, and stays cheap."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from blog.models import Post
from tests.factories import PASSWORD, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def post_form(author, body):
    now = timezone.now()
    return {
        "body": body,
        "author": author.pk,
        "timestamp_0": now.strftime("%Y-%m-%d"),
        "timestamp_1": now.strftime("%H:%M:%S"),
    }


def user_form(username, email):
    return {
        "username": username,
        "email": email,
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("admin:blog_post_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_can_log_in_with_a_password(client):
    UserFactory(username="editor", is_staff=True, is_superuser=True)

    response = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": PASSWORD, "next": reverse("admin:index")},
    )

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_adds_a_user(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"), user_form("mary", "mary@mail.com")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    mary = User.objects.get(username="mary")
    assert mary.email == "mary@mail.com"
    assert mary.check_password(PASSWORD)


def test_admin_adds_a_post(admin_client):
    mary = UserFactory(username="mary")

    response = admin_client.post(
        reverse("admin:blog_post_add"), post_form(mary, "This is my first post with Microblog!")
    )

    assert response.status_code == 302
    assert repr(list(mary.posts.all())) == "[<Post This is my first post with Microblog!>]"


def test_a_141_character_body_is_an_error_and_writes_nothing(admin_client):
    response = admin_client.post(
        reverse("admin:blog_post_add"), post_form(UserFactory(), "x" * 141)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["body"] == [
        "Ensure this value has at most 140 characters (it has 141)."
    ]
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "taken", "attempt"),
    [("username", "Mary", "mary"), ("email", "A@x.io", "a@X.io")],
)
def test_a_case_variant_duplicate_is_a_field_error_and_writes_nothing(
    admin_client, field, taken, attempt
):
    UserFactory(**{field: taken})
    form = user_form("newcomer", "newcomer@example.com") | {field: attempt}

    response = admin_client.post(reverse("admin:accounts_user_add"), form)

    assert response.status_code == 200
    assert "already exists" in response.context["adminform"].form.errors[field][0]
    assert User.objects.filter(**{f"{field}__iexact": attempt}).count() == 1


def test_changing_a_user_to_a_case_variant_of_another_is_a_field_error(admin_client):
    UserFactory(username="Mary")
    lucy = UserFactory(username="lucy")
    change_url = reverse("admin:accounts_user_change", args=[lucy.pk])
    form = admin_client.get(change_url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {
        "username": "MARY",
        "date_joined_0": lucy.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": lucy.date_joined.strftime("%H:%M:%S"),
        "posts-TOTAL_FORMS": 0,
        "posts-INITIAL_FORMS": 0,
    }
    data.pop("groups"), data.pop("user_permissions"), data.pop("last_login", None)

    response = admin_client.post(change_url, data)

    assert response.status_code == 200
    assert "already exists" in response.context["adminform"].form.errors["username"][0]
    lucy.refresh_from_db()
    assert lucy.username == "lucy"


def test_a_users_page_lists_their_posts_inline(admin_client):
    mary = UserFactory(username="mary")
    PostFactory(author=mary, body="hello from mary")

    response = admin_client.get(reverse("admin:accounts_user_change", args=[mary.pk]))

    assert response.status_code == 200
    assert "hello from mary" in response.content.decode()


def test_author_autocomplete_finds_users_by_username(admin_client):
    UserFactory(username="mary")
    UserFactory(username="lucy")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "blog", "model_name": "post", "field_name": "author", "term": "mar"},
    )

    assert [r["text"] for r in response.json()["results"]] == ["mary"]


def changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:blog_post_changelist"))
    assert response.status_code == 200
    return len(queries)


def test_post_changelist_runs_the_same_queries_for_1_post_and_for_50(admin_client):
    PostFactory()
    with_one = changelist_queries(admin_client)
    PostFactory.create_batch(49)

    # select_related: the authors come in the same query as the posts, not one query each.
    assert changelist_queries(admin_client) == with_one
