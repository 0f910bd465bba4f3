"""Test data, in one place: `UserFactory()` and `PostFactory()` give valid, unique rows."""

import factory

from accounts.models import User
from blog.models import Post

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    body = factory.Sequence(lambda n: f"post number {n}")
    author = factory.SubFactory(UserFactory)
