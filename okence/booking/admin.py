"""Admin for appointments. Token hashes never leave the database; codes are not shown at all."""

from django.contrib import admin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["start", "unit", "service", "official", "name", "status"]
    list_filter = ["status", "unit", "service"]
    list_select_related = ["unit", "service", "official__user"]
    search_fields = ["name", "email"]
    date_hierarchy = "start"
    # The hashes are useless to a person and only widen what a leaked screen shows.
    exclude = ["hold_token_hash", "meeting_token_hash", "manage_token_hash"]
    readonly_fields = [
        "public_id",
        "code_failures",
        "invite_sequence",
        "created_at",
        "confirmed_at",
        "cancelled_at",
        "hold_expires_at",
    ]
    raw_id_fields = ["official"]
