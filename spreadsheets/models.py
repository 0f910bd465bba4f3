"""One row per uploaded file: where it is on disk, how far the worker has got, and what it found."""

from django.conf import settings
from django.db import models


class Import(models.Model):
    class Kind(models.TextChoices):
        USERS = "users"
        POSTS = "posts"

    class State(models.TextChoices):
        CHECKING = "checking", "checking the file"
        CHECKED = "checked", "checked: waiting for confirmation"
        REFUSED = "refused", "refused: nothing written"
        WRITING = "writing", "writing"
        DONE = "done", "done: written"
        EXPIRED = "expired", "expired: not confirmed in time, nothing written"
        # The worker's check or write failed with an error that is no fault of the file (a
        # bug, a query cancelled). Its page says why and offers to check the file again.
        FAILED = "failed", "failed: nothing written"

    kind = models.CharField(max_length=5, choices=Kind)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4)
    # The upload, kept in IMPORT_UPLOAD_DIR until the import is written or refused.
    path = models.CharField(max_length=500)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State, default=State.CHECKING)
    rows_checked = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    # [{"row": "row 7", "problem": "..."}], the first MAX_PROBLEMS of them; `problem_count` has all.
    problems = models.JSONField(default=list)
    problem_count = models.PositiveIntegerField(default=0)
    # The first PREVIEW_ROWS rows' outcomes: [{"row": ..., "outcome": "new", "cells": [...]}].
    preview = models.JSONField(default=list)
    # Why the worker failed (state FAILED): the error's last line. The database's own default ''
    # lets the code of the release before this column keep inserting imports while it rolls out
    # (make lint-migrations refuses a NOT NULL column without one).
    error = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} from {self.file_name}"

    @property
    def in_progress(self) -> bool:
        return self.state in {self.State.CHECKING, self.State.WRITING}


class Export(models.Model):
    """An export too big to stream inside a request (settings.EXPORT_STREAMED_MAX_ROWS): the
    worker writes the file to EXPORT_DIR, and the admin shows its progress and then a link."""

    class State(models.TextChoices):
        WRITING = "writing", "writing the file"
        DONE = "done", "done: ready to download"
        FAILED = "failed", "failed"
        EXPIRED = "expired", "expired: the file was removed"

    kind = models.CharField(max_length=5, choices=Import.Kind)
    file_format = models.CharField(max_length=4)
    # The changelist's query string (search, filters, date range), applied again by the worker.
    query = models.TextField(blank=True)
    file_name = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State, default=State.WRITING)
    rows_written = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} as {self.file_format.upper()} ({self.file_name})"
