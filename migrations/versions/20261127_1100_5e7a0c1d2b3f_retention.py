"""Retention: a consultation may delete its invitation data N days after closing.

Revision ID: 5e7a0c1d2b3f
Revises: 3d2a38bba0b6
Create Date: 2026-11-27 11:00:00.000000+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a0c1d2b3f'
down_revision = '3d2a38bba0b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_consultations_retention_days_range'),
            'retention_days IS NULL OR (retention_days >= 1 AND retention_days <= 3650)',
        )


def downgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_consultations_retention_days_range'), type_='check')
        batch_op.drop_column('retention_days')
