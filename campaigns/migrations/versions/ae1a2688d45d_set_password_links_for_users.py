"""set-password links for users

Revision ID: ae1a2688d45d
Revises: 13c9a29a0703
Create Date: 2026-11-30 01:40:35.193865

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ae1a2688d45d'
down_revision = '13c9a29a0703'
branch_labels = None
depends_on = None


def upgrade():
    # Only the SHA-256 of a link's secret is stored; both columns are empty when no link is out.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_link_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('password_link_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_users_password_link_hash', ['password_link_hash'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_password_link_hash', type_='unique')
        batch_op.drop_column('password_link_expires_at')
        batch_op.drop_column('password_link_hash')
