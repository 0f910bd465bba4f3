"""Import and export in the admin: buttons on the user and post lists (SpreadsheetAdminMixin,
mixed into their admins in blog/admin.py), and the lists of past imports and exports."""

import os
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from spreadsheets import tasks
from spreadsheets.cleaning import forget_stale_files
from spreadsheets.formats import CONTENT_TYPES, FORMATS, csv_chunks, json_chunks, xlsx_file
from spreadsheets.importing import PREVIEW_ROWS
from spreadsheets.models import Export, Import
from spreadsheets.sheets import ASSUMED_ZONE, SHEETS


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A .csv (UTF-8), .xlsx or .json file.")

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        extension = os.path.splitext(upload.name)[1].lower().lstrip(".")
        if extension not in FORMATS:
            raise forms.ValidationError(
                f"Choose a .csv, .xlsx or .json file; {upload.name!r} is none of these."
            )
        return upload


# What the mixin is mixed into, told to the type checker; at run time it is a plain class.
if TYPE_CHECKING:
    ModelAdminBase = admin.ModelAdmin[Any]
else:
    ModelAdminBase = object


class SpreadsheetAdminMixin(ModelAdminBase):
    """Adds import/ and export/<format>/ to a ModelAdmin's URLs, and their buttons to its list.
    `sheet_kind` names the file's kind in spreadsheets/sheets.py."""

    sheet_kind: str
    change_list_template = "admin/spreadsheets/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name=f"{name}_import"),
            path("import/<int:pk>/", wrap(self.import_status_view), name=f"{name}_import_status"),
            path("export/<str:file_format>/", wrap(self.export_view), name=f"{name}_export"),
            path("exports/<int:pk>/", wrap(self.export_status_view), name=f"{name}_export_status"),
            path(
                "exports/<int:pk>/download/",
                wrap(self.export_download_view),
                name=f"{name}_export_download",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        # An import adds rows and changes existing ones: it needs both permissions.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_import": self.has_import_permission(request),
            "export_formats": FORMATS,
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            forget_stale_files()
            job = self.save_upload(request, form.cleaned_data["file"])
            tasks.check_import.enqueue(job.pk)
            return redirect(self.import_url(job))
        recent = Import.objects.filter(kind=self.sheet_kind)[:10]
        return self.render_import_page(request, "import_form.html", form=form, recent=recent)

    def save_upload(self, request: HttpRequest, upload: Any) -> Import:
        # Copied a chunk at a time (Django has already spilled a big upload to a temporary file)
        # to where the worker finds it.
        folder = settings.IMPORT_UPLOAD_DIR
        os.makedirs(folder, exist_ok=True)
        file_format = os.path.splitext(upload.name)[1].lower().lstrip(".")
        stored = os.path.join(folder, f"{uuid.uuid4().hex}.{file_format}")
        with open(stored, "wb") as destination:
            for chunk in upload.chunks():
                destination.write(chunk)
        return Import.objects.create(
            kind=self.sheet_kind,
            file_name=upload.name[:255],
            file_format=file_format,
            path=stored,
            uploaded_by=request.user,  # type: ignore[misc]  # the admin lets in logged-in staff only
        )

    def import_status_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = get_object_or_404(Import, pk=pk, kind=self.sheet_kind)
        if request.method == "POST" and "check_again" in request.POST:
            # A failed check or write: the file is checked again from the start (the database
            # may have changed meanwhile), and then waits for its confirmation as before. Once.
            failed = Import.objects.filter(pk=job.pk, state=Import.State.FAILED)
            if failed.update(state=Import.State.CHECKING, error=""):
                tasks.check_import.enqueue(job.pk)
            return redirect(self.import_url(job))
        if request.method == "POST":
            # Confirmed: only a checked file, once (a second click finds it writing, and an
            # upload expired meanwhile stays expired).
            checked = Import.objects.filter(pk=job.pk, state=Import.State.CHECKED)
            if checked.update(state=Import.State.WRITING):
                tasks.write_import.enqueue(job.pk)
            return redirect(self.import_url(job))
        return self.render_import_page(request, "import_status.html", job=job)

    def import_url(self, job: Import) -> str:
        return self.admin_url("import_status", job.pk)

    def admin_url(self, view: str, *args: Any) -> str:
        opts = self.model._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_{view}",
            args=args,
            current_app=self.admin_site.name,
        )

    def render_import_page(
        self, request: HttpRequest, template: str, crumb: str = "Import", **context: Any
    ) -> TemplateResponse:
        opts = self.model._meta
        sheet = SHEETS[self.sheet_kind]
        return TemplateResponse(
            request,
            f"admin/spreadsheets/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": opts,
                "title": f"{crumb} {opts.verbose_name_plural}",
                "crumb": crumb,
                "columns": sheet.columns,
                "required": sheet.required,
                "zone": ASSUMED_ZONE,
                "preview_rows": PREVIEW_ROWS,
                **context,
            },
        )

    def exported_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """The list as the person sees it: search, filters and the date range applied. Raises
        IncorrectLookupParameters for a filter the list cannot apply."""
        return self.get_changelist_instance(request).get_queryset(request)

    def export_view(self, request: HttpRequest, file_format: str) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if file_format not in FORMATS:
            raise Http404
        try:
            queryset = self.exported_queryset(request)
        except IncorrectLookupParameters:
            # As the list itself answers a filter it cannot apply: back to it, with ?e=1.
            return redirect(f"{self.admin_url('changelist')}?{ERROR_FLAG}=1")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        file_name = f"{self.model._meta.verbose_name_plural}-{stamp}.{file_format}"
        # Counted only up to the limit, so the question costs the same whatever the list's size.
        limit = settings.EXPORT_STREAMED_MAX_ROWS
        if queryset.order_by().values("pk")[: limit + 1].count() > limit:
            return redirect(self.start_export(request, file_format, file_name))
        sheet = SHEETS[self.sheet_kind]()
        header, lines = list(sheet.columns), sheet.export_lines(queryset)
        if file_format == "xlsx":
            return FileResponse(
                xlsx_file(header, lines),
                as_attachment=True,
                filename=file_name,
                content_type=CONTENT_TYPES["xlsx"],
            )
        chunks = csv_chunks if file_format == "csv" else json_chunks
        response = StreamingHttpResponse(
            chunks(header, lines), content_type=CONTENT_TYPES[file_format]
        )
        response["Content-Disposition"] = f'attachment; filename="{file_name}"'
        return response

    def start_export(self, request: HttpRequest, file_format: str, file_name: str) -> str:
        """Queues the export for the worker; returns the URL of its page."""
        forget_stale_files()
        folder = settings.EXPORT_DIR
        os.makedirs(folder, exist_ok=True)
        job = Export.objects.create(
            kind=self.sheet_kind,
            file_format=file_format,
            query=request.GET.urlencode(),
            file_name=file_name,
            path=os.path.join(folder, f"{uuid.uuid4().hex}.{file_format}"),
            requested_by=request.user,  # type: ignore[misc]  # staff only, as above
        )
        tasks.write_export.enqueue(job.pk)
        return self.admin_url("export_status", job.pk)

    def own_export(self, request: HttpRequest, pk: int) -> Export:
        # Each person sees their own exports only: the file holds the list as filtered for them.
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Export, pk=pk, kind=self.sheet_kind, requested_by=request.user)

    def export_status_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.own_export(request, pk)
        return self.render_import_page(
            request,
            "export_status.html",
            crumb="Export",
            job=job,
            download=self.admin_url("export_download", job.pk),
        )

    def export_download_view(self, request: HttpRequest, pk: int) -> FileResponse:
        job = self.own_export(request, pk)
        if job.state != Export.State.DONE:
            raise Http404("This export's file is not there (yet, or any more).")
        # A file response: under gunicorn the file goes out through sendfile, not Python.
        return FileResponse(
            open(job.path, "rb"),  # noqa: SIM115 (the response closes it once sent)
            as_attachment=True,
            filename=job.file_name,
            content_type=CONTENT_TYPES[job.file_format],
        )


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    """Past imports, read-only: who uploaded what, and what came of it. Each written import's
    history page holds its log entry."""

    list_display = ("file_name", "kind", "state", "new", "updated", "unchanged", "uploaded_by")
    list_filter = ("kind", "state")
    fields = list_display + ("uploaded_at", "rows_checked", "problem_count", "problems", "error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Import | None = None) -> bool:
        return False


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    """Past exports written by the worker, read-only; each one's page is on its own list."""

    list_display = ("file_name", "kind", "state", "rows_written", "requested_by", "requested_at")
    list_filter = ("kind", "state")
    fields = list_display + ("query", "finished_at", "error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Export | None = None) -> bool:
        return False
