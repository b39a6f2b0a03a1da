"""A read-only view of the outgoing e-mail queue, without the secrets in it.

The messages hold verification codes and the citizens' meeting and manage links until they are
forgotten (okence.personal_data); whoever administers the site must not be able to confirm a
booking or open a meeting with them, so bodies and attachments are not shown and the subject
(which carries the code) is shown redacted.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from okence.redaction import redact

from .models import Email

SECRET_FIELDS = {"subject", "body_text", "body_html", "attachments"}


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = ["redacted_subject", "to", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["reference"]
    date_hierarchy = "created_at"

    def get_fields(self, request, obj=None):
        shown = [f.name for f in self.model._meta.fields if f.name not in SECRET_FIELDS]
        return ["redacted_subject", *shown]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("subject"))
    def redacted_subject(self, email: Email) -> str:
        return redact(email.subject)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
