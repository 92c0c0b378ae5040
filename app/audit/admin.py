from django.contrib import admin

from audit.models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Every security event, for staff with the view permission, read-only:
    nobody adds, edits or deletes a row here (the retention prunes them)."""

    list_display = ("created_at", "event", "user", "client_address", "request_id")
    list_filter = ("event", "created_at")
    search_fields = ("user__username", "user__email", "client_address", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = (
        "created_at",
        "event",
        "user",
        "client_address",
        "user_agent",
        "request_id",
        "details",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
