from django.apps import AppConfig
from django.contrib.auth.signals import user_login_failed


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Failed logins reach django-axes only when they come with a request (accounts/lockout.py).
        # axes is listed before accounts in INSTALLED_APPS, so its receiver is connected by now.
        from accounts import lockout

        user_login_failed.disconnect(lockout.axes_signals.handle_user_login_failed)
        user_login_failed.connect(lockout.count_web_login_failure)
