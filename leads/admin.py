from django.contrib import admin

from deals.admin import ReadOnlyAdmin
from leads.models import Lead, NonTargetContact


@admin.register(Lead)
class LeadAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "source", "name", "phone", "status", "assigned_to", "routed_to_office"]
    list_filter = ["status", "source", "routed_to_office"]
    list_select_related = ["assigned_to"]
    show_full_result_count = False


@admin.register(NonTargetContact)
class NonTargetContactAdmin(ReadOnlyAdmin):
    list_display = ["value", "kind", "reason", "marked_by", "marked_at", "lifted_at"]
    list_filter = ["kind"]
