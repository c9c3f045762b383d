"""The dashboards' filters: read from the query string, checked, narrowed to what the reader may see."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from crm import access
from crm.forms_util import BootstrapMixin
from crm.models import Branch, User
from crm.pipelines import ServiceLine
from deals.models import Deal
from reports.analytics.base import Filters

EARLIEST = date(2000, 1, 1)


def _last_day_of_two_years(start: date) -> date:
    """Two years at most: a wider period is a different question (and a slower one).
    From 1 December 2024 the last day is 30 November 2026; from 29 February, 28 February."""
    try:
        return start.replace(year=start.year + 2) - timedelta(days=1)
    except ValueError:  # 29 February
        return date(start.year + 2, 3, 1) - timedelta(days=1)


class AnalyticsFilterForm(BootstrapMixin, forms.Form):
    date_from = forms.DateField(label="С", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="по", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    branch = forms.ModelChoiceField(label="Филиал", queryset=Branch.objects.none(), required=False, empty_label="Все")
    manager = forms.ModelChoiceField(label="Менеджер", queryset=User.objects.none(), required=False, empty_label="Все")
    source = forms.ChoiceField(label="Источник", choices=[("", "Все"), *Deal.Source.choices], required=False)
    pipeline = forms.ChoiceField(label="Воронка", choices=[("", "Обе"), *ServiceLine.choices], required=False)
    stuck_days = forms.IntegerField(label="Застряли дольше, дн.", min_value=1, max_value=365, required=False)

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        branch = access.analytics_branch(user)
        branches = Branch.objects.order_by("name")
        self.fields["branch"].queryset = branches.filter(pk=branch) if branch else branches
        if branch:
            # A head's dashboards are their branch's: no choice to offer.
            self.fields["branch"].empty_label = None
        people = User.objects.filter(access.analytics_people_q(user)).order_by("full_name")
        self.fields["manager"].queryset = people
        self.fields["manager"].label_from_instance = lambda u: u.full_name

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        start, end = data.get("date_from"), data.get("date_to")
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day and not (EARLIEST <= day <= today + timedelta(days=366)):
                self.add_error(
                    name, f"Дата должна быть между {EARLIEST:%d.%m.%Y} и {today + timedelta(days=366):%d.%m.%Y}."
                )
        if start and not end and start > today:
            self.add_error("date_from", "Начало периода позже сегодняшнего дня: укажите и конец периода.")
        if start and end and start > end:
            self.add_error("date_to", "Конец периода раньше его начала.")
        elif start and start >= EARLIEST and (end or today) > _last_day_of_two_years(start):
            # Without an end the period runs to today: too long a period is refused either way.
            self.add_error("date_to" if end else "date_from", "Период не длиннее двух лет.")
        return data

    def filters(self) -> Filters:
        """The checked filters (call after is_valid()); a blank period is the current month to date."""
        data = self.cleaned_data
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to.replace(day=1)
        branch = access.analytics_branch(self.user) or (data["branch"].pk if data.get("branch") else None)
        return Filters(
            date_from=date_from,
            date_to=date_to,
            branch_id=branch,
            manager_id=data["manager"].pk if data.get("manager") else None,
            source=data.get("source") or "",
            pipeline=data.get("pipeline") or "",
            stuck_days=data.get("stuck_days") or 30,
        )

    def describe(self, filters: Filters) -> list[tuple[str, str]]:
        """The filters in words, for the page's and the Excel file's heading."""
        rows = filters.describe()
        if filters.branch_id:
            rows.append(("Филиал", str(Branch.objects.get(pk=filters.branch_id))))
        if filters.manager_id:
            rows.append(("Менеджер", self.cleaned_data["manager"].full_name))
        if filters.source:
            rows.append(("Источник", Deal.Source(filters.source).label))
        if filters.pipeline:
            rows.append(("Воронка", ServiceLine(filters.pipeline).label))
        return rows
