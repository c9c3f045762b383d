from django.urls import path

from activities import api as activities
from clients import api as clients
from crm.api import views
from deals import api as deals_api
from integrations.caldav import views as caldav_views
from integrations.documents import api as documents_api
from integrations.mail import api as mail_api
from integrations.mango import api_views as mango_api
from leads import api as leads_api
from reports import api as reports_api
from reports.analytics import api as analytics_api
from tasks import api as tasks_api
from web import api as web_api

document_file = documents_api.DocumentFileApi.as_view()

urlpatterns = [
    path("auth/token/", views.TokenObtainApi.as_view(), name="api-token"),
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("users/", views.StaffListApi.as_view(), name="api-users"),
    path("users/<int:pk>/", views.StaffDetailApi.as_view(), name="api-user-detail"),
    path("leads/", leads_api.LeadListCreateApi.as_view(), name="api-leads"),
    path("leads/<int:pk>/", leads_api.LeadDetailApi.as_view(), name="api-lead-detail"),
    path("clients/", clients.ClientListCreateApi.as_view(), name="api-clients"),
    path("clients/<int:pk>/", clients.ClientDetailApi.as_view(), name="api-client-detail"),
    path("deals/", deals_api.DealListCreateApi.as_view(), name="api-deals"),
    path("deals/<int:pk>/", deals_api.DealDetailApi.as_view(), name="api-deal-detail"),
    path("deals/<int:pk>/move/", deals_api.DealMoveApi.as_view(), name="api-deal-move"),
    path("deals/<int:pk>/documents/", documents_api.DealDocumentCreateApi.as_view(), name="api-deal-documents"),
    path("documents/<int:pk>/", documents_api.DocumentDetailApi.as_view(), name="api-document-detail"),
    path("documents/<int:pk>/docx/", document_file, {"fmt": "docx"}, name="api-document-docx"),
    path("documents/<int:pk>/pdf/", document_file, {"fmt": "pdf"}, name="api-document-pdf"),
    path("payments/", deals_api.PaymentListCreateApi.as_view(), name="api-payments"),
    path("incoming-documents/", deals_api.IncomingListCreateApi.as_view(), name="api-incoming-documents"),
    path("incoming-documents/<int:pk>/", deals_api.IncomingDetailApi.as_view(), name="api-incoming-document-detail"),
    path("activities/", activities.ActivityListCreateApi.as_view(), name="api-activities"),
    path("meetings/", activities.MeetingCreateApi.as_view(), name="api-meetings"),
    path("meetings/free-slots/", activities.FreeSlotsApi.as_view(), name="api-free-slots"),
    path("meetings/<int:pk>/cancel/", activities.MeetingCancelApi.as_view(), name="api-meeting-cancel"),
    path("search/", web_api.SearchApi.as_view(), name="api-search"),
    path("calls/click-to-call/", mango_api.ClickToCallApi.as_view(), name="api-click-to-call"),
    path("calls/click-to-call/<int:pk>/", mango_api.ClickToCallDetailApi.as_view(), name="api-click-to-call-detail"),
    path("me/calendar-connection/", caldav_views.MyCalendarConnectionApi.as_view(), name="api-calendar-connection"),
    path("me/mailbox/", mail_api.MyMailboxApi.as_view(), name="api-mailbox"),
    path("tasks/", tasks_api.TaskListApi.as_view(), name="api-tasks"),
    path("tasks/<int:pk>/", tasks_api.TaskDetailApi.as_view(), name="api-task-detail"),
    path("tasks/<int:pk>/comment/", tasks_api.TaskCommentApi.as_view(), name="api-task-comment"),
    path("tasks/<int:pk>/delegate/", tasks_api.TaskDelegateApi.as_view(), name="api-task-delegate"),
    path("tasks/<int:pk>/decide/", tasks_api.TaskDecideApi.as_view(), name="api-task-decide"),
    path("tasks/<int:pk>/complete/", tasks_api.TaskCompleteApi.as_view(), name="api-task-complete"),
    path("daily-reports/", reports_api.DailyReportListCreateApi.as_view(), name="api-daily-reports"),
    path("daily-reports/<int:pk>/", reports_api.DailyReportDetailApi.as_view(), name="api-daily-report-detail"),
    path("daily-reports/<int:pk>/review/", reports_api.DailyReportReviewApi.as_view(), name="api-daily-report-review"),
    path("analytics/funnel/", analytics_api.FunnelApi.as_view(), name="api-analytics-funnel"),
    path("analytics/efficiency/", analytics_api.EfficiencyApi.as_view(), name="api-analytics-efficiency"),
    path("analytics/payments/", analytics_api.PaymentsApi.as_view(), name="api-analytics-payments"),
]
