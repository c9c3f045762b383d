from django.urls import path

from reports import views
from reports.analytics import views as analytics

app_name = "reports"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("day/", views.today_view, name="today"),
    path("branch/", views.branch_view, name="branch"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/review/", views.review_view, name="review"),
    path("questions/", views.questions_view, name="questions"),
    path("questions/<int:pk>/", views.question_edit_view, name="question_edit"),
    path("analytics/<slug:slug>/", analytics.dashboard_view, name="analytics"),
]
