"""What the portal keeps for itself: the submission log behind its rate limit."""

from __future__ import annotations

from django.db import models


class SubmissionAttempt(models.Model):
    """One complaint submission from one client network, kept for the rate-limit window.

    ``client`` is a keyed hash of the client's address (an IPv6 address by its /64), never the
    address itself. Rows older than the window are deleted as new ones arrive."""

    client = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="portal_attempt_client_at")]

    def __str__(self) -> str:
        return f"{self.client[:8]}… {self.at:%Y-%m-%d %H:%M:%S}"
