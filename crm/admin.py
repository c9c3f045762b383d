"""Admin screens for the org chart. Every save goes through crm.services,
so admin edits are validated and audited like any other change."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from crm import services
from crm.errors import DomainError
from crm.http import client_ip
from crm.models import AuditEntry, Branch, User, WorkdayOverride

USER_FORM_FIELDS = [
    "username",
    "full_name",
    "role",
    "branch",
    "supervisor",
    "email",
    "phone",
    "mango_extension",
    "is_active",
]


class OrgChartCheckMixin:
    """Run the service's org-chart check on the built instance, as form errors."""

    def _post_clean(self):
        super()._post_clean()
        try:
            services.user_check(user=self.instance)
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class UserChangeForm(OrgChartCheckMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = USER_FORM_FIELDS


class UserAddForm(OrgChartCheckMixin, forms.ModelForm):
    password1 = forms.CharField(label="Пароль", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Пароль ещё раз", widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = [f for f in USER_FORM_FIELDS if f != "is_active"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Сотрудник с таким логином уже есть.")
        return username

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "Пароли не совпадают.")
        elif p1:
            try:
                validate_password(p1, self.instance)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "city"]

    def has_delete_permission(self, request, obj=None):
        return False  # a branch with history is closed (is_active), never deleted

    def save_model(self, request, obj, form, change):
        if change:
            services.branch_update(
                branch=obj, by=request.user, data={f: form.cleaned_data[f] for f in form.changed_data}
            )
        else:
            created = services.branch_create(by=request.user, name=obj.name, city=obj.city)
            obj.pk, obj._state.adding = created.pk, False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    list_display = ["full_name", "username", "role", "branch", "supervisor", "is_active", "last_login"]
    list_filter = ["role", "branch", "is_active"]
    list_select_related = ["branch", "supervisor"]
    search_fields = ["full_name", "username", "email", "phone"]
    autocomplete_fields = ["supervisor"]
    readonly_fields = ["password_link", "last_login", "date_joined"]
    ordering = ["full_name"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*UserAddForm.Meta.fields, "password1", "password2"]
        return [*USER_FORM_FIELDS, "password_link", "last_login", "date_joined"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # staff leave by being deactivated; their history stays attributed

    @admin.display(description="Пароль")
    def password_link(self, obj):
        url = reverse("admin:crm_user_password", args=[obj.pk])
        return format_html('<a href="{}">Задать новый пароль</a>', url)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.cleaned_data if f in USER_FORM_FIELDS}
        if change:
            services.user_update(user=obj, by=request.user, data={f: data[f] for f in form.changed_data if f in data})
            return
        created = services.user_create(by=request.user, password=form.cleaned_data["password1"], **data)
        obj.pk, obj._state.adding = created.pk, False

    def get_urls(self):
        own = [path("<id>/password/", self.admin_site.admin_view(self.password_view), name="crm_user_password")]
        return own + super().get_urls()

    def password_view(self, request, id):
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = AdminPasswordChangeForm(user, request.POST or None)
        form.fields.pop("usable_password", None)
        if request.method == "POST" and form.is_valid():
            services.user_set_password(
                user=user, by=request.user, password=form.cleaned_data["password1"], ip=client_ip(request)
            )
            if user.pk == request.user.pk:
                update_session_auth_hash(request, user)
            messages.success(request, "Пароль изменён.")
            return redirect("admin:crm_user_change", user.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Новый пароль: {user}",
            "adminForm": admin.helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "form_url": "",
            "form": form,
            "is_popup": False,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": user,
            "save_as": False,
            "show_save": True,
        }
        return TemplateResponse(request, "admin/auth/user/change_password.html", context)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "target_type", "target_repr", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_repr", "target_id"]
    list_select_related = ["actor"]
    show_full_result_count = False  # the log grows large; an exact count is a full scan

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "reason"]
    list_filter = ["is_working"]
    date_hierarchy = "date"
