from django.contrib import admin

from reports.models import DailyReport, ReportQuestion


@admin.register(ReportQuestion)
class ReportQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "branch", "kind", "required", "order", "is_active"]
    list_filter = ["branch", "kind", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    """Read only: reports are filed and reviewed on the site, the admin only looks."""

    list_display = ["manager", "date", "version", "is_current", "status", "submitted_at"]
    list_filter = ["branch", "status", "is_current"]
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
