from django.contrib import admin

from activities.models import ActivitySettings, PoolRule, WorkingHours


@admin.register(ActivitySettings)
class ActivitySettingsAdmin(admin.ModelAdmin):
    """One row: the «Мои дела» rule (14 / 30 days, grace before abandonment) and the calendar's day and slot."""

    list_display = ["__str__", "deal_horizon_days", "client_horizon_days", "abandon_grace_days", "day_start", "day_end"]

    def has_add_permission(self, request):
        return not ActivitySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["user", "weekday", "start", "end"]
    list_filter = ["weekday"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(PoolRule)
class PoolRuleAdmin(admin.ModelAdmin):
    list_display = ["branch", "per_manager", "every_days", "is_active", "last_run_on"]
