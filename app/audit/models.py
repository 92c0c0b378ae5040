from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from audit.events import Event

USER_AGENT_MAX_LENGTH = 512


class SecurityEvent(models.Model):
    """One security event: who, what, when, from where (``audit.trail``).

    ``details`` holds a few facts about the event (which throttle, which
    factor), never a secret: no password, code, token or key is ever passed
    to ``record``. The user is kept as a reference that becomes empty when
    the account is deleted; the rows stay until the retention prunes them.
    """

    created_at = models.DateTimeField(db_default=Now(), db_index=True, editable=False)
    event = models.CharField(max_length=40, choices=Event.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="audit_event_user_recent")]

    def __str__(self):
        return f"{self.get_event_display()} ({self.created_at:%Y-%m-%d %H:%M:%S})"
