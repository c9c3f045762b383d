from django.urls import path

from tasks import views

app_name = "tasks"
urlpatterns = [
    path("", views.task_list_view, name="list"),
    path("new/", views.task_create_view, name="new"),
    path("new/pr/", views.pr_create_view, name="new_pr"),
    path("new/pr/deals/", views.deal_options_view, name="deal_options"),
    path("reports/", views.reports_view, name="reports"),
    path("reports/<int:pk>/stop/", views.report_stop_view, name="report_stop"),
    path("efficiency/", views.efficiency_view, name="efficiency"),
    path("<int:pk>/", views.task_detail_view, name="detail"),
    path("<int:pk>/report/", views.report_submit_view, name="report_submit"),
    path("<int:pk>/files/", views.attachment_add_view, name="attachment_add"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment_download_view, name="attachment"),
    path("<int:pk>/checklist/<int:item_id>/", views.checklist_toggle_view, name="checklist_toggle"),
    path("<int:pk>/<str:action>/", views.task_action_view, name="action"),
]
