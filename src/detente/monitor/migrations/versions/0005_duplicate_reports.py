"""Duplicate reports: merged reports and dismissed proposals.

``incident.merged_into_id`` links a duplicate report to the incident it was merged into (its
state is then ``merged``: nothing is deleted). ``duplicate_dismissal`` keeps each pair of
incidents a monitor judged to be different events, so the pair is not proposed again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    column = sa.Column(
        "merged_into_id",
        sa.Integer(),
        sa.ForeignKey("incident.id", name=op.f("fk_incident_merged_into_id_incident")),
        nullable=True,
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a referencing column in place (no table copy, which the tables that
        # reference incident would refuse while foreign keys are enforced).
        op.add_column("incident", column, inline_references=True)
    else:
        op.add_column("incident", column)
    op.create_index(op.f("ix_incident_merged_into_id"), "incident", ["merged_into_id"])
    op.create_table(
        "duplicate_dismissal",
        sa.Column("low_id", sa.Integer(), nullable=False),
        sa.Column("high_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["low_id"], ["incident.id"], name=op.f("fk_duplicate_dismissal_low_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["high_id"], ["incident.id"], name=op.f("fk_duplicate_dismissal_high_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_duplicate_dismissal_actor_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("low_id", "high_id", name=op.f("pk_duplicate_dismissal")),
    )
    op.create_index(op.f("ix_duplicate_dismissal_high_id"), "duplicate_dismissal", ["high_id"])


def downgrade() -> None:
    """Revert (merged reports go back to the state they were merged from)."""
    op.drop_index(op.f("ix_duplicate_dismissal_high_id"), table_name="duplicate_dismissal")
    op.drop_table("duplicate_dismissal")
    op.execute(
        "UPDATE incident SET state = (SELECT e.from_state FROM incident_event e"
        " WHERE e.incident_id = incident.id AND e.action = 'merge'"
        " ORDER BY e.id DESC LIMIT 1) WHERE state = 'merged'"
    )
    op.drop_index(op.f("ix_incident_merged_into_id"), table_name="incident")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_column("incident", "merged_into_id")
    else:
        op.drop_constraint(
            op.f("fk_incident_merged_into_id_incident"), "incident", type_="foreignkey"
        )
        op.drop_column("incident", "merged_into_id")
