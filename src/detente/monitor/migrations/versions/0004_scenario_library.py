"""The workbench's scenario library: scenarios and their versions.

``scenario`` holds each scenario's name and latest version number (the counter a save
compares with the version it was edited from); ``scenario_version`` holds every save, the
native document as JSON. Deleting a scenario sets ``deleted_at``; versions are never removed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "scenario",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_scenario_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"],
            ["user_account.id"],
            name=op.f("fk_scenario_deleted_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario")),
    )
    op.create_index(op.f("ix_scenario_deleted_at"), "scenario", ["deleted_at"])
    op.create_table(
        "scenario_version",
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["user_account.id"],
            name=op.f("fk_scenario_version_saved_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"], ["scenario.id"], name=op.f("fk_scenario_version_scenario_id_scenario")
        ),
        sa.PrimaryKeyConstraint("scenario_id", "version", name=op.f("pk_scenario_version")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("scenario_version")
    op.drop_index(op.f("ix_scenario_deleted_at"), table_name="scenario")
    op.drop_table("scenario")
