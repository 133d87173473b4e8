"""Users, roles, departments, shares and API tokens in the admin.

Nobody changes their own role, department or permission flags here (an administrator could otherwise
lock themselves out, and anyone with staff access could promote themselves); another administrator does.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, CounterpartyShare, CustomRole, Department, User
from .services import PRIVILEGED_USER_FIELDS


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "last_name", "first_name", "email", "role", "custom_role", "department", "is_active",
                    "is_staff", "last_login")
    list_filter = ("role", "custom_role", "department", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Raccordo"), {"fields": ("role", "custom_role", "department", "phone", "language")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Raccordo"), {"fields": ("first_name", "last_name", "email", "role", "custom_role", "department")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += [f for f in PRIVILEGED_USER_FIELDS if f not in fields]
        return fields


class MemberInline(admin.TabularInline):
    model = User
    fk_name = "department"
    fields = ("username", "first_name", "last_name", "role")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)
    inlines = [MemberInline]


@admin.register(CustomRole)
class CustomRoleAdmin(admin.ModelAdmin):
    list_display = ("name", "scope", "view_vip")
    list_filter = ("scope", "view_vip")


@admin.register(CounterpartyShare)
class CounterpartyShareAdmin(admin.ModelAdmin):
    list_display = ("counterparty", "user", "granted_by", "created_at")
    raw_id_fields = ("counterparty",)
    list_select_related = ("counterparty", "user", "granted_by")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their owners (Settings → API tokens); here administrators see and revoke them."""

    list_display = ("name", "user", "prefix", "scope", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("scope",)
    readonly_fields = ("user", "name", "prefix", "scope", "expires_at", "last_used_at", "created_at")
    fields = ("user", "name", "prefix", "scope", "expires_at", "revoked_at", "last_used_at", "created_at")

    def has_add_permission(self, request):
        return False
