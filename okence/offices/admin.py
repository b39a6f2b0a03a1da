"""Admin for the organisation's side: units, their services, officials and hours."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from .forms import per_language
from .models import Closure, Official, Service, Unit, WorkingHours


# The translation admins show a field per language for the translated ones ("name" becomes
# "name (in Slovenian)", "name (in English)", ...); plain, without the tabs' external jQuery.
class ServiceInline(TranslationTabularInline):
    model = Service
    extra = 0
    fields = ["position", "name", "slug", "duration_minutes", "active"]
    prepopulated_fields = {"slug": ["name"]}
    show_change_link = True


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    fields = ["first_day", "last_day", "reason"]


class UnitForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("languages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=Unit._meta.get_field("languages").help_text,
    )

    class Meta:
        model = Unit
        fields = ["name", "slug", "email", "phone", "address", "timezone", "languages"]


@admin.register(Unit)
class UnitAdmin(TranslationAdmin):
    form = UnitForm
    fields = UnitForm.Meta.fields
    list_display = ["name", "slug", "email", "phone", "timezone"]
    search_fields = [*per_language("name"), "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceInline, ClosureInline]


@admin.register(Service)
class ServiceAdmin(TranslationAdmin):
    list_display = ["name", "unit", "duration_minutes", "active"]
    list_filter = ["unit", "active"]
    list_select_related = ["unit"]
    search_fields = [*per_language("name"), "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["unit", "name", "slug", "position", "active"]}),
        (_("For the citizen"), {"fields": ["description", "preparation"]}),
        (
            _("Booking rules"),
            {"fields": ["duration_minutes", "min_notice_minutes", "max_advance_days"]},
        ),
        (_("Reminders"), {"fields": ["first_reminder_minutes", "second_reminder_minutes"]}),
    ]


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0
    fields = ["weekday", "start", "end"]


@admin.register(Official)
class OfficialAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "unit_names"]
    list_filter = ["units"]
    list_select_related = ["user"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
    ]
    autocomplete_fields = ["user"]
    filter_horizontal = ["units", "services"]
    inlines = [WorkingHoursInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("units")

    @admin.display(description=_("units"))
    def unit_names(self, obj: Official) -> str:
        return ", ".join(unit.name for unit in obj.units.all())
