"""The core's own pages: sign-in, staff directory, audit log, notifications."""

from django.urls import path

from crm import views

app_name = "crm"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("staff/", views.staff_list_view, name="staff_list"),
    path("staff/<int:pk>/", views.staff_detail_view, name="staff_detail"),
    path("audit/", views.audit_list_view, name="audit_list"),
    path("notifications/", views.notifications_view, name="notifications"),
    path("notifications/bell/", views.notifications_bell_view, name="notifications_bell"),
    path("notifications/<int:pk>/open/", views.notification_open_view, name="notification_open"),
]
