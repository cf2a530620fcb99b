"""participant language: the interface language fixed at consent

Revision ID: i18n_participant_language
Revises: acct_accounts

Everyone who took part before studies had languages took part in English.
"""
from alembic import op
import sqlalchemy as sa


revision = 'i18n_participant_language'
down_revision = 'acct_accounts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('language')
