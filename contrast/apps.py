from django.apps import AppConfig


class ContrastConfig(AppConfig):
    """The Flask side of the comparison: the chapter's Flask twins (`flask_app/`, the 2018 edition,
    and `flask_app_2024/`, today's; never imported by Django) and the `import_flask_db` command
    that brings a Flask microblog's data across."""

    name = "contrast"
    verbose_name = "Flask contrast"
