"""background imports: an incident set is 'importing' until a chunked import has stored every row

Revision ID: c41a9e7d2b10
Revises: 6dfaf5b4e28b
Create Date: 2026-11-29 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41a9e7d2b10'
down_revision = '6dfaf5b4e28b'
branch_labels = None
depends_on = None


def upgrade():
    # Every set that exists was imported in one transaction: it is ready.
    with op.batch_alter_table('incident_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='ready', nullable=False))
        batch_op.add_column(sa.Column('progress', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('import_options', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('error', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_incident_sets_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('incident_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_sets_status'))
        batch_op.drop_column('error')
        batch_op.drop_column('import_options')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('progress')
        batch_op.drop_column('status')
