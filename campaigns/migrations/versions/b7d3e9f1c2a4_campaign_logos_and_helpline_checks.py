"""campaign logos and helpline checks

Revision ID: b7d3e9f1c2a4
Revises: ae1a2688d45d
Create Date: 2026-11-30 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d3e9f1c2a4'
down_revision = 'ae1a2688d45d'
branch_labels = None
depends_on = None


def upgrade():
    # Partner logos: the checked bytes themselves (bytea on PostgreSQL, BLOB on SQLite).
    op.create_table('campaign_logos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'sha256', name='uq_campaign_logos_campaign_sha256')
    )
    with op.batch_alter_table('campaign_logos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_logos_campaign_id'), ['campaign_id'], unique=False)

    # A coordinator's check of a library helpline's number, per organisation; only ever added to.
    op.create_table('helpline_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('helpline_id', sa.String(length=64), nullable=False),
    sa.Column('number_checked', sa.String(length=40), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('helpline_checks', schema=None) as batch_op:
        batch_op.create_index('ix_helpline_checks_org_helpline', ['organisation_id', 'helpline_id'], unique=False)


def downgrade():
    with op.batch_alter_table('helpline_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_helpline_checks_org_helpline')

    op.drop_table('helpline_checks')
    with op.batch_alter_table('campaign_logos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_logos_campaign_id'))

    op.drop_table('campaign_logos')
