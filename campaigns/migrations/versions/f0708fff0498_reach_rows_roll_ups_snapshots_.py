"""reach rows, roll-ups, snapshots, idempotent requests; campaign helpline; publications linked to campaigns

Revision ID: f0708fff0498
Revises: 65e5f11878f0
Create Date: 2026-11-29 19:42:30.108971

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f0708fff0498'
down_revision = '65e5f11878f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotent_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'key')
    )
    op.create_table('campaign_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'day')
    )
    with op.batch_alter_table('campaign_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_snapshots_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('reach_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('replaced', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reach_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reach_imports_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('reach_period_totals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=True),
    sa.Column('impressions', sa.Integer(), nullable=True),
    sa.Column('clicks', sa.Integer(), nullable=True),
    sa.Column('events', sa.Integer(), nullable=True),
    sa.Column('trained', sa.Integer(), nullable=True),
    sa.Column('materials', sa.Integer(), nullable=True),
    sa.Column('paired_reached', sa.Integer(), nullable=True),
    sa.Column('paired_impressions', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'channel', 'period_start', 'period_end')
    )
    with op.batch_alter_table('reach_period_totals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reach_period_totals_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('reach_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('reached_low', sa.Integer(), nullable=True),
    sa.Column('reached_summed', sa.Integer(), nullable=True),
    sa.Column('reached_periods', sa.Integer(), nullable=False),
    sa.Column('impressions', sa.Integer(), nullable=True),
    sa.Column('clicks', sa.Integer(), nullable=True),
    sa.Column('events', sa.Integer(), nullable=True),
    sa.Column('trained', sa.Integer(), nullable=True),
    sa.Column('materials', sa.Integer(), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'area_code', 'channel')
    )
    with op.batch_alter_table('reach_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reach_summaries_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('reach_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.Column('segment', sa.String(length=100), server_default='', nullable=False),
    sa.Column('locale', sa.String(length=8), server_default='', nullable=False),
    sa.Column('reached', sa.Integer(), nullable=True),
    sa.Column('impressions', sa.Integer(), nullable=True),
    sa.Column('clicks', sa.Integer(), nullable=True),
    sa.Column('events', sa.Integer(), nullable=True),
    sa.Column('trained', sa.Integer(), nullable=True),
    sa.Column('materials', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['reach_imports.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'period_start', 'period_end', 'channel', 'area_code', 'segment', 'locale', name='uq_reach_rows_key')
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('helpline_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('helpline_number', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('helpline_verified', sa.Date(), nullable=True))

    with op.batch_alter_table('toolkit_publications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_toolkit_publications_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_foreign_key('fk_toolkit_publications_campaign_id', 'campaigns', ['campaign_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('toolkit_publications', schema=None) as batch_op:
        batch_op.drop_constraint('fk_toolkit_publications_campaign_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_toolkit_publications_campaign_id'))
        batch_op.drop_column('campaign_id')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('helpline_verified')
        batch_op.drop_column('helpline_number')
        batch_op.drop_column('helpline_name')

    op.drop_table('reach_rows')
    with op.batch_alter_table('reach_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reach_summaries_campaign_id'))

    op.drop_table('reach_summaries')
    with op.batch_alter_table('reach_period_totals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reach_period_totals_campaign_id'))

    op.drop_table('reach_period_totals')
    with op.batch_alter_table('reach_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reach_imports_campaign_id'))

    op.drop_table('reach_imports')
    with op.batch_alter_table('campaign_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_snapshots_campaign_id'))

    op.drop_table('campaign_snapshots')
    op.drop_table('idempotent_requests')
