from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from crm import client_views, views

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
        path("clients/<int:pk>/", client_views.client_detail_view, name="client_detail"),
        path("clients/<int:pk>/edit/", client_views.client_edit_view, name="client_edit"),
        path("clients/<int:pk>/reveal/<str:field>/", client_views.client_reveal_view, name="client_reveal"),
        path("clients/<int:pk>/comment/", client_views.client_comment_view, name="client_comment"),
    ],
    "crm",
)

urlpatterns = [
    path("", include(app_urls)),
    path("deals/", include("deals.urls")),
    path("leads/", include("leads.urls")),
    path("tasks/", include("tasks.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("crm.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

admin.site.site_header = "CRM — администрирование"
admin.site.site_title = "CRM"
admin.site.index_title = "Справочники и сотрудники"
