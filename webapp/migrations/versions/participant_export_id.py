"""participant export id: the export's participant id, stored so the studio finds a row by it

Revision ID: participant_export_id
Revises: i18n_participant_language

The id is a keyed hash of the study's slug and the row id (webapp.privacy); the key lives with
the instance, not here, so existing rows keep NULL and get theirs at the first lookup.
"""
from alembic import op
import sqlalchemy as sa


revision = 'participant_export_id'
down_revision = 'i18n_participant_language'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('export_id', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_participant_export_id', ['study_id', 'export_id'], unique=False)


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_export_id')
        batch_op.drop_column('export_id')
