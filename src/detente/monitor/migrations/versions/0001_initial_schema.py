"""Initial schema: agreements, parties, clauses, sectors, users, incidents, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 10:01:40.920349
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column(
            "mechanism",
            sa.Enum(
                "joint_commission",
                "third_party_monitor",
                "guarantor",
                "hotline",
                name="breachmechanism",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
        sa.UniqueConstraint("name", name=op.f("uq_agreement_name")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_entry_hash")),
    )
    op.create_table(
        "clause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_clause_agreement_id_agreement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clause")),
        sa.UniqueConstraint("agreement_id", "ref", name=op.f("uq_clause_agreement_id")),
    )
    with op.batch_alter_table("clause", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clause_agreement_id"), ["agreement_id"], unique=False)

    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_party_agreement_id_agreement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party")),
        sa.UniqueConstraint("agreement_id", "name", name=op.f("uq_party_agreement_id")),
    )
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_agreement_id"), ["agreement_id"], unique=False)

    op.create_table(
        "sector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_sector_agreement_id_agreement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sector")),
        sa.UniqueConstraint("agreement_id", "name", name=op.f("uq_sector_agreement_id")),
    )
    with op.batch_alter_table("sector", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sector_agreement_id"), ["agreement_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin", "monitor", "analyst", "liaison", name="role", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_user_account_party_id_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "shelling",
                "small_arms_fire",
                "drone_strike",
                "heavy_weapons_in_zone",
                "troop_movement",
                "civilian_harm",
                "obstruction_of_monitors",
                "other",
                name="incidenttype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column(
            "confidence",
            sa.Enum("low", "medium", "high", name="confidence", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "reported",
                "under_verification",
                "verified",
                "not_verified",
                "disputed",
                "attributed",
                "raised",
                "answered",
                "resolved",
                "escalated",
                name="state",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attributed_party_id", sa.Integer(), nullable=True),
        sa.Column(
            "attribution_confidence",
            sa.Enum("low", "medium", "high", name="confidence", native_enum=False, length=32),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_incident_agreement_id_agreement")
        ),
        sa.ForeignKeyConstraint(
            ["attributed_party_id"],
            ["party.id"],
            name=op.f("fk_incident_attributed_party_id_party"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["user_account.id"], name=op.f("fk_incident_reporter_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"], ["sector.id"], name=op.f("fk_incident_sector_id_sector")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_attributed_party_id"), ["attributed_party_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_sector_id"), ["sector_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_type"), ["type"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_attachment_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("incident_id", "sha256", name=op.f("uq_attachment_incident_id")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachment_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_clause",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("clause_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clause.id"], name=op.f("fk_incident_clause_clause_id_clause")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_clause_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("incident_id", "clause_id", name=op.f("pk_incident_clause")),
    )
    op.create_table(
        "incident_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "reported",
                "under_verification",
                "verified",
                "not_verified",
                "disputed",
                "attributed",
                "raised",
                "answered",
                "resolved",
                "escalated",
                name="state",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "reported",
                "under_verification",
                "verified",
                "not_verified",
                "disputed",
                "attributed",
                "raised",
                "answered",
                "resolved",
                "escalated",
                name="state",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_incident_event_actor_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_event_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_event")),
    )
    with op.batch_alter_table("incident_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_event_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_incident_note_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_note_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_note")),
    )
    with op.batch_alter_table("incident_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_note_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("incident_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_note_incident_id"))

    op.drop_table("incident_note")
    with op.batch_alter_table("incident_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_event_incident_id"))

    op.drop_table("incident_event")
    op.drop_table("incident_clause")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_incident_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_type"))
        batch_op.drop_index(batch_op.f("ix_incident_state"))
        batch_op.drop_index(batch_op.f("ix_incident_sector_id"))
        batch_op.drop_index(batch_op.f("ix_incident_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_incident_attributed_party_id"))
        batch_op.drop_index(batch_op.f("ix_incident_agreement_id"))

    op.drop_table("incident")
    op.drop_table("user_account")
    with op.batch_alter_table("sector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sector_agreement_id"))

    op.drop_table("sector")
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_agreement_id"))

    op.drop_table("party")
    with op.batch_alter_table("clause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clause_agreement_id"))

    op.drop_table("clause")
    op.drop_table("audit_entry")
    op.drop_table("agreement")
