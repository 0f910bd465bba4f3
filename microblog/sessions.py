"""Sessions in the database, as Django keeps them (SESSION_ENGINE), with one change: a database
that fails while a session is being saved is a 503 (microblog/error_pages.py), not Django's 400.

Django reads any database error on a session's update as "the session was deleted meanwhile"
(another tab logged out) and answers 400 ("the session was deleted before the request
completed"). When the primary fails under a request that changed its session (a post saved,
its "was added" message kept in the session), that 400 tells the editor something false; the
503 says what happened and when to try again. A session that really was deleted is still a 400.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create)
        except UpdateError as error:
            # Django raises UpdateError while handling the database's own error.
            failure = error.__context__
            if isinstance(failure, (OperationalError, InterfaceError)):
                raise failure from None
            raise
