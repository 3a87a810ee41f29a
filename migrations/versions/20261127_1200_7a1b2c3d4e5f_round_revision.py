"""Round revision: a counter bumped on every change to a round's questionnaire (survey cache).

Revision ID: 7a1b2c3d4e5f
Revises: 5e7a0c1d2b3f
Create Date: 2026-11-27 12:00:00.000000+00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7a1b2c3d4e5f'
down_revision = '5e7a0c1d2b3f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('revision', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('revision')
