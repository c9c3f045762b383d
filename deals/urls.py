from django.urls import path

from deals import views

app_name = "deals"
urlpatterns = [
    path("", views.deal_list_view, name="list"),
    path("payments/", views.payments_table_view, name="payments_table"),
    path("new/", views.deal_new_view, name="new"),
    path("board/<str:line>/", views.board_view, name="board"),
    path("board/<str:line>/<str:stage>/", views.board_column_view, name="board_column"),
    path("<int:pk>/", views.deal_detail_view, name="detail"),
    path("<int:pk>/move/", views.deal_move_view, name="move"),
    path("<int:pk>/reassign/", views.reassign_view, name="reassign"),
    path("<int:pk>/payments/", views.payment_add_view, name="payment_add"),
    path("<int:pk>/schedule/", views.schedule_view, name="schedule"),
    path("<int:pk>/case/", views.case_update_view, name="case"),
    path("<int:pk>/creditors/", views.creditor_add_view, name="creditor_add"),
    path("<int:pk>/reveal/debts/", views.debts_reveal_view, name="reveal_debts"),
    path("<int:pk>/hearings/", views.hearing_add_view, name="hearing_add"),
    path("<int:pk>/incoming/", views.incoming_add_view, name="incoming_add"),
]
