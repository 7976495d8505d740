"""Attribution history and attachment sizes.

``incident_event.party_id`` records the party each ``attribute`` event named, so that a past
day's report can count open breaches per party as they stood then; existing attribute events
get the incident's current party when it is still attributed. ``attachment.size_bytes`` is the
attached file's size, when known.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("incident_event") as batch:
        batch.add_column(sa.Column("party_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_incident_event_party_id_party"), "party", ["party_id"], ["id"]
        )
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("size_bytes", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE incident_event SET party_id = (SELECT incident.attributed_party_id FROM incident"
        " WHERE incident.id = incident_event.incident_id) WHERE action = 'attribute'"
    )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("attachment") as batch:
        batch.drop_column("size_bytes")
    with op.batch_alter_table("incident_event") as batch:
        batch.drop_constraint(op.f("fk_incident_event_party_id_party"), type_="foreignkey")
        batch.drop_column("party_id")
