from django.apps import AppConfig


class ContrastConfig(AppConfig):
    """The Flask side of the comparison: the chapter's Flask twin (`flask_app/`, never imported by
    Django) and the `import_flask_db` command that brings its data across."""

    name = "contrast"
    verbose_name = "Flask contrast"
