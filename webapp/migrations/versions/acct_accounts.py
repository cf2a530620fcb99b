"""studio accounts: session generations, member roles, invitations

Revision ID: acct_accounts
Revises: guard

A login cookie names the account's session generation, so logout and password changes end
every other session. Members become owner, editor or viewer ("member" rows become editors,
which is what they could do before). Owners invite by e-mail; the invitee accepts.
"""
from alembic import op
import sqlalchemy as sa


revision = 'acct_accounts'
down_revision = 'guard'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('experimenter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE study_member SET role = 'editor' WHERE role = 'member'")
    op.create_table('study_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['experimenter.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('study_id', 'email')
    )
    with op.batch_alter_table('study_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_invitation_email'), ['email'], unique=False)


def downgrade():
    with op.batch_alter_table('study_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_invitation_email'))
    op.drop_table('study_invitation')
    op.execute("UPDATE study_member SET role = 'member' WHERE role IN ('editor', 'viewer')")
    with op.batch_alter_table('experimenter', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
