"""Ranking runs (cached by input hash), campaign drafts, and a count per incident record

Revision ID: 682ae4896889
Revises: a528960df6c8
Create Date: 2026-11-21 20:19:40.919404

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '682ae4896889'
down_revision = 'a528960df6c8'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('ranking_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('boundary_set_id', sa.Integer(), nullable=False),
    sa.Column('incident_set_id', sa.Integer(), nullable=True),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('rows', sa.JSON(), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=True),
    sa.Column('segments', sa.JSON(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['boundary_set_id'], ['boundary_sets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_set_id'], ['incident_sets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'input_hash')
    )
    with op.batch_alter_table('ranking_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranking_runs_boundary_set_id'), ['boundary_set_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ranking_runs_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('campaign_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('boundary_set_id', sa.Integer(), nullable=False),
    sa.Column('ranking_run_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('area_codes', sa.JSON(), nullable=False),
    sa.Column('segments', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['boundary_set_id'], ['boundary_sets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ranking_run_id'], ['ranking_runs.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaign_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_drafts_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('incident_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count', sa.Integer(), server_default='1', nullable=False))




def downgrade():
    
    with op.batch_alter_table('incident_records', schema=None) as batch_op:
        batch_op.drop_column('count')

    with op.batch_alter_table('campaign_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_drafts_organisation_id'))

    op.drop_table('campaign_drafts')
    with op.batch_alter_table('ranking_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranking_runs_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_ranking_runs_boundary_set_id'))

    op.drop_table('ranking_runs')

