from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from crm import activity_views, client_views, views

app_urls = (
    [
        path("", views.home_view, name="home"),
        path("login/", views.LoginView.as_view(), name="login"),
        path("logout/", views.LogoutView.as_view(), name="logout"),
        path("password/", views.PasswordChangeView.as_view(), name="password_change"),
        path("staff/", views.staff_list_view, name="staff_list"),
        path("staff/<int:pk>/", views.staff_detail_view, name="staff_detail"),
        path("audit/", views.audit_list_view, name="audit_list"),
        path("notifications/", views.notifications_view, name="notifications"),
        path("my-day/", activity_views.my_day_view, name="my_day"),
        path("activities/<int:pk>/", activity_views.activity_detail_view, name="activity_detail"),
        path("activities/<int:pk>/done/", activity_views.activity_done_view, name="activity_done"),
        path("activities/<int:pk>/reschedule/", activity_views.activity_reschedule_view, name="activity_reschedule"),
        path("activities/<int:pk>/cancel/", activity_views.activity_cancel_view, name="activity_cancel"),
        path("clients/<int:client_pk>/plan/", activity_views.activity_plan_view, name="activity_plan"),
        path("calendar/", activity_views.calendar_view, name="calendar"),
        path("calendar/<int:pk>/", activity_views.calendar_view, name="calendar_of"),
        path("calendar/<int:pk>.ics", activity_views.calendar_ics_view, name="calendar_ics"),
        path("booking/", activity_views.booking_view, name="booking"),
        path("booking/new/", activity_views.booking_new_view, name="booking_new"),
        path("clients/state/<str:state>/", activity_views.clients_state_view, name="clients_state"),
        path("clients/<int:pk>/reanimate/", activity_views.client_reanimate_view, name="client_reanimate"),
        path("clients/<int:pk>/to-pool/", activity_views.client_to_pool_view, name="client_to_pool"),
        path("clients/<int:pk>/lost/", activity_views.client_lost_view, name="client_lost"),
        path("pool/rule/", activity_views.pool_rule_view, name="pool_rule"),
        path("clients/<int:pk>/", client_views.client_detail_view, name="client_detail"),
        path("clients/<int:pk>/edit/", client_views.client_edit_view, name="client_edit"),
        path("clients/<int:pk>/reveal/<str:field>/", client_views.client_reveal_view, name="client_reveal"),
        path("clients/<int:pk>/comment/", client_views.client_comment_view, name="client_comment"),
        path("clients/<int:pk>/documents/", client_views.document_add_view, name="document_add"),
        path(
            "clients/<int:pk>/documents/<int:document_id>/",
            client_views.document_download_view,
            name="document_download",
        ),
    ],
    "crm",
)

urlpatterns = [
    path("", include(app_urls)),
    path("deals/", include("deals.urls")),
    path("leads/", include("leads.urls")),
    path("tasks/", include("tasks.urls")),
    path("integrations/", include("integrations.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("crm.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

admin.site.site_header = "CRM — администрирование"
admin.site.site_title = "CRM"
admin.site.index_title = "Справочники и сотрудники"
