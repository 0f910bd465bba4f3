from django.apps import AppConfig


class SpreadsheetsConfig(AppConfig):
    """Users and posts in and out of the admin as CSV, XLSX and JSON files (README, "Data entry
    in bulk"): imports checked in full before anything is written, run by a background worker
    (django-tasks), and exports of a filtered list streamed row by row."""

    name = "spreadsheets"
