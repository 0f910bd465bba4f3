from django.contrib import admin
from django.urls import include, path

from microblog.favicon import favicon
from replicas.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("blog.urls")),
]

handler400 = "microblog.error_pages.bad_request"
handler500 = "microblog.error_pages.server_error"
