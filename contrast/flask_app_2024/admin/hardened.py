"""The twin's admin with the fixes a careful Flask developer applies (docs/admin-contrast.md): a
staff login (Flask-Login), each model behind its own permission, CSRF tokens (Flask-Admin's
SecureForm, Flask-WTF's FlaskForm for the login), a password field that hashes, search, filters,
an export, and a post list without a COUNT(*) or a query per author. The few things no extension
offers are marked "By hand".

    make flask-admin   # migrates (its own Alembic revision after the chapter's two), prints a
                       # login, serves http://127.0.0.1:5000/admin/
"""

import os
import secrets

import click
import sqlalchemy as sa
from flask import Flask, abort, flash, redirect, request, url_for
from flask.cli import with_appcontext
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import DeleteRowAction, EndpointLinkRowAction
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_migrate import Migrate
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from wtforms import PasswordField, StringField, ValidationError, validators

from contrast.flask_app_2024 import db
from contrast.flask_app_2024.admin.models import Staff
from contrast.flask_app_2024.config import Config, basedir
from contrast.flask_app_2024.models import Post, User

# Its own migrations folder, whose alembic.ini also reads the chapter's two revisions: the
# chapter's tables stay as the tutorial made them, and `staff` comes after them.
migrate = Migrate(directory=os.path.join(os.path.dirname(__file__), "migrations"))
login = LoginManager()

# A list page, and an export, read at most this many posts.
PAGE_SIZE = 20
EXPORT_MAX_ROWS = 10_000
# What a spreadsheet would run as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class HardenedConfig(Config):
    # Its own database file: the twin's `flask db upgrade` knows nothing of the `staff` revision.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(
        basedir, "admin", "admin.db"
    )
    SECRET_KEY = os.environ.get("SECRET_KEY") or "you-will-never-guess"


@login.user_loader
def load_staff(user_id):
    return db.session.get(Staff, int(user_id))


class LoginForm(FlaskForm):
    username = StringField("Username", [validators.InputRequired()])
    password = PasswordField("Password", [validators.InputRequired()])


class StaffIndexView(AdminIndexView):
    """The admin's front page, behind the login, and the login itself."""

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(url_for(".login_view", next=request.url))
        return super().index()

    @expose("/login/", methods=("GET", "POST"))
    def login_view(self):
        form = LoginForm()
        if form.validate_on_submit():
            staff = db.session.scalar(
                sa.select(Staff).join(Staff.user).where(User.username == form.username.data)
            )
            # A user made without a password has none to check (check_password would fail).
            user = staff.user if staff else None
            if user and user.password_hash and user.check_password(form.password.data):
                login_user(staff)
                # get_redirect_target refuses a `next` on another site.
                return redirect(get_redirect_target("next") or url_for(".index"))
            flash("Please enter the correct username and password for a staff account.", "error")
        return self.render("staff/login.html", form=form)

    @expose("/logout/")
    def logout_view(self):
        logout_user()
        return redirect(url_for(".login_view"))


class StaffModelView(ModelView):
    """A model's pages: for staff whose row grants `permission`; every form with a CSRF token."""

    permission: str
    form_base_class = SecureForm
    page_size = PAGE_SIZE
    can_set_page_size = False

    def is_accessible(self):
        return current_user.is_authenticated and getattr(current_user, self.permission)

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            abort(403)
        return redirect(url_for("admin.login_view", next=request.url))


def username_free_in_any_case(form, field):
    """By hand: the column is unique as typed, so `Mary` would sit beside `mary`."""
    taken = sa.select(User.id).where(sa.func.lower(User.username) == field.data.lower())
    if form._obj is not None:
        taken = taken.where(User.id != form._obj.id)
    if db.session.scalar(taken) is not None:
        raise ValidationError("A user with that username already exists, in some letter case.")


class UserView(StaffModelView):
    permission = "manages_users"
    column_list = ["username", "email", "posts"]
    column_searchable_list = ["username", "email"]
    # Not `password_hash` (a text box storing what is typed) nor `posts` (a <select> of every
    # post); a password field that hashes instead.
    form_columns = ["username", "email", "password"]
    form_extra_fields = {
        "password": PasswordField(
            "Password",
            [validators.Optional()],
            description="Left empty: the password stays as it was (a new user cannot log in).",
        )
    }
    form_args = {"username": {"validators": [username_free_in_any_case]}}
    # By hand: the list's delete asks on a page that says what goes with the user.
    action_disallowed_list = ["delete"]
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-trash", ".confirm_delete_view", title="Delete…")
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A user's posts: a link to the post list filtered by author, never the posts themselves.
        self.column_formatters = {"posts": self.posts_link}

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        return [action for action in actions if not isinstance(action, DeleteRowAction)]

    @staticmethod
    def posts_link(view, context, user, name):
        url = url_for("post.index_view", flt0_author_equals=user.username)
        return Markup('<a href="{}">posts by {}</a>').format(url, user.username)

    def on_model_change(self, form, user, is_created):
        if form.password.data:
            user.set_password(form.password.data)

    @expose("/delete/")
    def confirm_delete_view(self):
        """By hand: what deleting this user also deletes, and the button to do it."""
        user = db.session.get(User, request.args.get("id", type=int) or 0)
        if user is None:
            abort(404)
        posts = db.session.scalar(sa.select(sa.func.count()).where(Post.user_id == user.id))
        form = self.delete_form()
        form.id.data = user.id
        form.url.data = url_for(".index_view")
        return self.render(
            "staff/confirm_delete_user.html",
            user=user,
            posts=posts,
            is_staff=db.session.get(Staff, user.id) is not None,
            form=form,
        )

    def delete_model(self, user):
        # By hand: `session.delete(user)` cannot unlink a WriteOnlyMapped `posts`, so the posts
        # and the staff row go first, in the same transaction.
        try:
            db.session.execute(sa.delete(Post).where(Post.user_id == user.id))
            db.session.execute(sa.delete(Staff).where(Staff.user_id == user.id))
            db.session.execute(sa.delete(User).where(User.id == user.id))
            db.session.commit()
        except SQLAlchemyError as error:
            db.session.rollback()
            flash(f"Failed to delete {user.username}: {error}", "error")
            return False
        return True


def spreadsheet_safe(view, context, post, name):
    """By hand: a body that a spreadsheet would run as a formula goes out quoted ('=1+1)."""
    return f"'{post.body}" if post.body.startswith(FORMULA_STARTS) else post.body


class PostView(StaffModelView):
    permission = "manages_posts"
    column_list = ["body", "author.username", "timestamp"]
    column_labels = {"author.username": "author"}
    column_default_sort = ("timestamp", True)
    # The author in the same query as the posts (else one more per author shown), no COUNT(*).
    column_select_related_list = [Post.author]
    simple_list_pager = True
    column_searchable_list = ["body", "author.username"]
    column_filters = ["author.username", "timestamp"]
    # Filters in the URL by name (`flt0_author_equals=mary`), not by position.
    named_filter_urls = True
    # A search box for the author instead of a <select> of every user.
    form_ajax_refs = {"author": {"fields": ["username"], "page_size": 10}}
    form_columns = ["author", "body", "timestamp"]
    can_export = True
    export_max_rows = EXPORT_MAX_ROWS
    column_export_list = ["body", "author.username", "timestamp"]
    column_formatters_export = {"body": spreadsheet_safe}


class StaffView(StaffModelView):
    permission = "manages_users"
    column_list = ["user.username", "manages_users", "manages_posts"]
    column_labels = {"user.username": "username"}
    column_select_related_list = [Staff.user]
    form_ajax_refs = {"user": {"fields": ["username"], "page_size": 10}}


def create_app(config_class=HardenedConfig):
    app = Flask(__name__)
    app.config.from_object(config_class)
    db.init_app(app)
    migrate.init_app(app, db)
    login.init_app(app)
    admin = Admin(app, name="microblog", index_view=StaffIndexView())
    admin.add_view(UserView(User, db))
    admin.add_view(PostView(Post, db))
    admin.add_view(StaffView(Staff, db))
    app.cli.add_command(first_admin)
    return app


@click.command("first-admin")
@with_appcontext
def first_admin():
    """Make a staff user `admin` with a random password, unless there is staff already."""
    url = "http://127.0.0.1:5000/admin/"
    staff = db.session.scalar(sa.select(Staff).order_by(Staff.user_id))
    if staff:
        click.echo(f"Flask-Admin: {url} — log in as {staff.user.username!r}")
        return
    password = secrets.token_urlsafe(12)
    user = User(username="admin", email="admin@example.com")
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    db.session.add(Staff(user_id=user.id, manages_users=True, manages_posts=True))
    db.session.commit()
    click.echo(f"Flask-Admin: {url} — user 'admin', password {password!r} (shown once)")
