from django.urls import path

from activities import views

app_name = "activities"
urlpatterns = [
    path("my-day/", views.my_day_view, name="my_day"),
    path("activities/<int:pk>/", views.activity_detail_view, name="activity_detail"),
    path("activities/<int:pk>/done/", views.activity_done_view, name="activity_done"),
    path("activities/<int:pk>/reschedule/", views.activity_reschedule_view, name="activity_reschedule"),
    path("activities/<int:pk>/cancel/", views.activity_cancel_view, name="activity_cancel"),
    path("clients/<int:client_pk>/plan/", views.activity_plan_view, name="activity_plan"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/branch/", views.calendar_branch_view, name="calendar_branch"),
    path("calendar/<int:pk>/", views.calendar_view, name="calendar_of"),
    path("calendar/<int:pk>.ics", views.calendar_ics_view, name="calendar_ics"),
    path("booking/", views.booking_view, name="booking"),
    path("booking/new/", views.booking_new_view, name="booking_new"),
    path("clients/state/<str:state>/", views.clients_state_view, name="clients_state"),
    path("clients/<int:pk>/reanimate/", views.client_reanimate_view, name="client_reanimate"),
    path("clients/<int:pk>/to-pool/", views.client_to_pool_view, name="client_to_pool"),
    path("clients/<int:pk>/lost/", views.client_lost_view, name="client_lost"),
    path("pool/rule/", views.pool_rule_view, name="pool_rule"),
]
