"""Agreements put into force from the workbench: the scenario version and deal they came from.

``agreement_origin`` links an agreement to the scenario version and the deal it was put into
force from, with the mechanisms the deal's options provide.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "agreement_origin",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("scenario_version", sa.Integer(), nullable=False),
        sa.Column("deal", sa.JSON(), nullable=False),
        sa.Column("mechanisms", sa.JSON(), nullable=False),
        sa.Column("forced_at", sa.DateTime(), nullable=False),
        sa.Column("forced_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_origin_agreement_id_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_agreement_origin_scenario_id_scenario"),
        ),
        sa.ForeignKeyConstraint(
            ["forced_by_id"],
            ["user_account.id"],
            name=op.f("fk_agreement_origin_forced_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", name=op.f("pk_agreement_origin")),
    )
    op.create_index(op.f("ix_agreement_origin_scenario_id"), "agreement_origin", ["scenario_id"])


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_agreement_origin_scenario_id"), table_name="agreement_origin")
    op.drop_table("agreement_origin")
