"""login attempts per client: a client key beside the account key, for the per-client throttle

Revision ID: 6dfaf5b4e28b
Revises: 7467c92b84af
Create Date: 2026-11-29 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6dfaf5b4e28b'
down_revision = '7467c92b84af'
branch_labels = None
depends_on = None


def upgrade():
    # Rows older than a minute are purged anyway; the empty key stands for "client unknown".
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=64), server_default='', nullable=False))
        batch_op.create_index('ix_login_attempts_client_at', ['client_key', 'attempted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_client_at')
        batch_op.drop_column('client_key')
