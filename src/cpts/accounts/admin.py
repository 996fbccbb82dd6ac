from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class CptsUserAdmin(UserAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "Rôle et périmètre",
            {"fields": ("role", "community", "region", "departements", "accompanied")},
        ),
    )
    list_display = ("username", "email", "role", "community", "region")
    list_filter = ("role",)
