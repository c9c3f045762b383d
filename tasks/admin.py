from django.contrib import admin

from tasks.models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Tasks change only through the CRM's pages (the services keep history, clocks and
    notifications in step); the admin lists them for support, read-only."""

    list_display = ["id", "title", "form", "status", "responsible", "author", "deadline"]
    list_filter = ["form", "status", "branch"]
    list_select_related = ["responsible", "author"]
    search_fields = ["title"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
