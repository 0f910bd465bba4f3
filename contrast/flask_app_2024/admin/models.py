"""The one table the hardened admin adds to the chapter's two: who is staff, and which models
each staff member may manage (Django's `is_staff` and per-model permissions, in one row)."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from contrast.flask_app_2024 import db
from contrast.flask_app_2024.models import User


# The chapter's User stays as the tutorial has it; the login is this row (Flask-Login's user), so a
# user without one cannot log in to the admin at all.
class Staff(UserMixin, db.Model):
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey(User.id), primary_key=True)
    manages_users: so.Mapped[bool] = so.mapped_column(default=False)
    manages_posts: so.Mapped[bool] = so.mapped_column(default=False)

    user: so.Mapped[User] = so.relationship()

    def get_id(self):
        return str(self.user_id)

    def __repr__(self):
        return f"<Staff {self.user_id}>"
