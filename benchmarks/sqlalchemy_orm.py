"""The chapter's peer: SQLAlchemy 2's ORM (what Flask-SQLAlchemy runs), declarative models."""

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, joinedload, mapped_column, relationship

from benchmarks import PostRow, UserRow
from benchmarks.raw_sqlite import TRIGRAMS


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "accounts_user"
    # Column order, types, names and indexes as Django's migration makes them (schema.py checks).
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_login: Mapped[datetime | None] = mapped_column(DateTime)
    is_superuser: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    is_staff: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    is_active: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    date_joined: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    password: Mapped[str] = mapped_column(String(256))


class Post(Base):
    __tablename__ = "blog_post"
    __table_args__ = (
        CheckConstraint("LENGTH(body) <= 140", name="post_body_max_140"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(String(140))
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accounts_user.id"))
    timestamp: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[User] = relationship()


Index("user_username_ci_unique", func.lower(User.username), unique=True)
Index("user_email_ci_unique", func.lower(User.email), unique=True)
Index("post_newest_first_idx", Post.timestamp.desc(), Post.id.desc())
Index("post_author_timeline_idx", Post.author_id, Post.timestamp.desc(), Post.id.desc())


class SQLAlchemyORM:
    name = "SQLAlchemy 2 ORM"

    def __init__(self, path: Path) -> None:
        self.engine = create_engine(f"sqlite:///{path}")
        self.queries = 0

        @event.listens_for(self.engine, "connect")
        def same_settings_as_django(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.executescript(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            )

        @event.listens_for(self.engine, "before_cursor_execute")
        def count(*args: Any) -> None:
            self.queries += 1

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            for statement in TRIGRAMS:
                connection.exec_driver_sql(statement)

    def load_users(self, users: Sequence[UserRow]) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                insert(User),
                [
                    {
                        "password": pw,
                        "is_superuser": False,
                        "is_staff": False,
                        "is_active": True,
                        "date_joined": joined.replace(tzinfo=None),
                        "username": name,
                        "email": email,
                    }
                    for name, email, pw, joined in users
                ],
            )

    def load_posts(self, batch: Sequence[PostRow]) -> None:
        # SQLAlchemy 2's ORM bulk INSERT: a list of dicts, executemany, no objects to track.
        with Session(self.engine) as session, session.begin():
            session.execute(
                insert(Post),
                [
                    {"body": body, "timestamp": moment.replace(tzinfo=None), "author_id": author}
                    for body, moment, author in batch
                ],
            )

    # A session per call, as Flask-SQLAlchemy gives each web request its own.
    def timeline(self, author_id: int) -> Sequence[Post]:
        with Session(self.engine) as session:
            return session.scalars(
                select(Post)
                .where(Post.author_id == author_id)
                .order_by(Post.timestamp.desc(), Post.id.desc())
                .limit(20)
            ).all()

    def public_page(self) -> list[tuple[str, str]]:
        with Session(self.engine) as session:
            posts = session.scalars(
                select(Post)
                .options(joinedload(Post.author))
                .order_by(Post.timestamp.desc(), Post.id.desc())
                .limit(20)
            ).all()
            return [(post.body, post.author.username) for post in posts]

    def posts_per_user(self) -> Sequence[Any]:
        with Session(self.engine) as session:
            return session.execute(
                select(Post.author_id, func.count()).group_by(Post.author_id)
            ).all()

    def insert_one(self, body: str, moment: datetime, author_id: int) -> None:
        with Session(self.engine) as session:
            post = Post(body=body, timestamp=moment.replace(tzinfo=None), author_id=author_id)
            session.add(post)
            session.commit()

    def close(self) -> None:
        self.engine.dispose()
