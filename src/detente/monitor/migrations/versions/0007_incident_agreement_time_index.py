"""An index on an incident's agreement and time of occurrence.

Duplicate proposals, the incident list, the daily report and the observed rates all select
one agreement's incidents within a time window; with this index that is a range scan of the
window instead of a scan of the whole agreement (on SQLite the planner otherwise takes the
agreement's index alone).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_index(
        "ix_incident_agreement_id_occurred_at", "incident", ["agreement_id", "occurred_at"]
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_incident_agreement_id_occurred_at", table_name="incident")
