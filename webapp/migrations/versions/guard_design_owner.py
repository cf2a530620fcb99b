"""design records belong to a participant

Revision ID: guard
Revises: 0001

Preview ids become keyed hashes of (owner, design) and a design record is deleted with its
owner. Records from before have no owner and could be addressed by a plain content hash;
they are dropped (pages register the new records again when they are shown).
"""
from alembic import op
import sqlalchemy as sa


revision = 'guard'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM design_record")
    with op.batch_alter_table('design_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('participant_id', sa.Integer(),
                                      sa.ForeignKey('participant.id', ondelete='CASCADE', name='design_record_participant_id_fkey'), nullable=True))
        batch_op.create_index(batch_op.f('ix_design_record_participant_id'), ['participant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('design_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_design_record_participant_id'))
        batch_op.drop_column('participant_id')
