"""surveys waves answers report freezes

Revision ID: 13c9a29a0703
Revises: f0708fff0498
Create Date: 2026-11-29 22:30:31.164227

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '13c9a29a0703'
down_revision = 'f0708fff0498'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('toolkit_publications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_url', sa.String(length=300), server_default='', nullable=False))

    op.create_table('report_freezes',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('frozen_by_id', sa.Integer(), nullable=True),
    sa.Column('numbers', sa.JSON(), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['frozen_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    op.create_table('survey_plans',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('primary_question', sa.String(length=40), nullable=False),
    sa.Column('hoped_before', sa.Float(), nullable=False),
    sa.Column('hoped_after', sa.Float(), nullable=False),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.Enum('YES_NO', 'SINGLE', 'MULTIPLE', 'LIKERT', 'NUMBER', name='question_kind', native_enum=False, length=10), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('success', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'key', name='uq_survey_questions_key')
    )
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_questions_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('survey_waves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('BASELINE', 'ENDLINE', 'FOLLOW_UP', name='wave_kind', native_enum=False, length=10), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('PLANNED', 'OPEN', 'CLOSED', name='wave_status', native_enum=False, length=8), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('access', sa.Enum('LINK', 'CODES', name='wave_access', native_enum=False, length=6), nullable=False),
    sa.Column('locales', sa.JSON(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('comparison_areas', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token', name='uq_survey_waves_token')
    )
    with op.batch_alter_table('survey_waves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_waves_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_waves_status'), ['status'], unique=False)

    op.create_table('survey_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_waves.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('wave_id', 'code_hash', name='uq_survey_codes_hash')
    )
    with op.batch_alter_table('survey_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_codes_wave_id'), ['wave_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.Column('comparison', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('segment', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('instance_id', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_waves.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('wave_id', 'instance_id', name='uq_survey_responses_instance')
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index('ix_survey_responses_wave', ['wave_id'], unique=False)

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.Column('comparison', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('segment', sa.String(length=40), nullable=False),
    sa.Column('question', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_waves.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_response_id'), ['response_id'], unique=False)
        batch_op.create_index('ix_survey_answers_report', ['wave_id', 'question', 'value', 'area_code', 'comparison', 'locale', 'segment'], unique=False)



def downgrade():
    with op.batch_alter_table('toolkit_publications', schema=None) as batch_op:
        batch_op.drop_column('survey_url')

    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answers_report')
        batch_op.drop_index(batch_op.f('ix_survey_answers_response_id'))

    op.drop_table('survey_answers')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_responses_wave')

    op.drop_table('survey_responses')
    with op.batch_alter_table('survey_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_codes_wave_id'))

    op.drop_table('survey_codes')
    with op.batch_alter_table('survey_waves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_waves_status'))
        batch_op.drop_index(batch_op.f('ix_survey_waves_campaign_id'))

    op.drop_table('survey_waves')
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_questions_campaign_id'))

    op.drop_table('survey_questions')
    op.drop_table('survey_plans')
    op.drop_table('report_freezes')
