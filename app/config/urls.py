from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("pages.urls")),
]

# A database out of reach answers 503 with Retry-After, not 500 (errors/views.py).
handler500 = "errors.views.server_error"
