"""Outgoing webhooks: signed JSON POSTs of complaint events, delivered through the outbox.

``queue`` writes one outbox row per subscribed endpoint in the caller's transaction,
``delivery`` sends it (called by ``services.deliver``), ``signing`` signs and verifies.
Format and verification for receivers: docs/webhooks.md.
"""
