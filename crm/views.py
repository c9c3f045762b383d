from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy

from crm import selectors, services
from crm.audit_display import change_lines, object_label
from crm.forms import AuditFilterForm, LoginForm, StaffFilterForm
from crm.http import client_ip, local_path
from crm.notifications import notification_open, notifications_mark_read
from crm.roles import Role

AUDIT_PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            services.logout_record(user=request.user, ip=client_ip(request))
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        user = self.request.user
        services.user_set_password(
            user=user, by=user, password=form.cleaned_data["new_password1"], ip=client_ip(self.request)
        )
        update_session_auth_hash(self.request, user)
        messages.success(self.request, "Пароль изменён.")
        return redirect(self.get_success_url())


@login_required
def staff_list_view(request):
    branches = selectors.branches_visible_to(request.user)
    form = StaffFilterForm(request.GET or None, branches=branches)
    filters = form.cleaned_data if form.is_valid() else {}
    staff = selectors.staff_filtered(
        request.user, role=filters.get("role"), branch_id=filters.get("branch"), search=filters.get("q", "")
    ).order_by("full_name", "pk")
    page = Paginator(staff, 50).get_page(request.GET.get("page"))
    template = "crm/_staff_rows.html" if request.htmx else "crm/staff_list.html"
    return render(request, template, {"form": form, "page": page, "roles": Role})


@login_required
def staff_detail_view(request, pk: int):
    person = selectors.staff_get_for_user(request.user, pk)
    subordinates = selectors.staff_visible_to(request.user).filter(supervisor=person).order_by("full_name")
    return render(
        request,
        "crm/staff_detail.html",
        {"person": person, "chain": selectors.supervisor_chain(person), "subordinates": subordinates},
    )


@login_required
def audit_list_view(request):
    entries = selectors.audit_entries_for(request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        f = form.cleaned_data
        if f["action"]:
            entries = entries.filter(action=f["action"])
        if f["target_type"]:
            entries = entries.filter(target_type=f["target_type"])
        if f["date_from"]:
            entries = entries.filter(at__date__gte=f["date_from"])
        if f["date_to"]:
            entries = entries.filter(at__date__lte=f["date_to"])
        if f["before"]:
            entries = entries.filter(pk__lt=f["before"])
    # Keyset paging by id: the log only grows, offsets would slow down with it.
    rows = list(entries.order_by("-pk")[: AUDIT_PAGE_SIZE + 1])
    has_more = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    for e in rows:
        # Read in plain Russian: the object's name and one line per changed field (no queries).
        e.object_label = object_label(e.target_type)
        e.change_lines = change_lines(e.target_type, e.action, e.changes)
    query = request.GET.copy()
    if has_more:
        query["before"] = rows[-1].pk
    return render(
        request,
        "crm/audit_list.html",
        {"form": form, "entries": rows, "next_query": query.urlencode() if has_more else ""},
    )


@login_required
def notifications_view(request):
    """The latest notifications; POST marks them all read."""
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("crm:notifications")
    rows = list(selectors.notifications_for(request.user)[:100])
    return render(request, "crm/notifications.html", {"rows": rows})


@login_required
def notification_open_view(request, pk: int):
    """Open one notification: it becomes read and the browser lands on what it is about.

    A plain link (GET), so it opens in a new tab like any other; marking one's own
    notification read is harmless to repeat and touches nobody else's rows.
    """
    notification = selectors.notification_get_for_user(request.user, pk)
    notification_open(notification=notification)
    return redirect(local_path(notification.url, fallback=reverse("crm:notifications")))


def notifications_bell_view(request):
    """The header's bell alone, polled by htmx: one count query, no menu, no context processors."""
    if not request.user.is_authenticated:
        # Signed out (session ended): 286 tells htmx to stop polling; the empty body removes the bell.
        return HttpResponse("", status=286)
    count = selectors.unread_notifications_count(request.user)
    return HttpResponse(render_to_string("crm/_notifications_bell.html", {"unread_notifications": count}))
