"""Column widths shared by the database models and the study-file validator.

The validator must refuse a study file whose texts cannot be stored (PostgreSQL raises on
overflow, SQLite silently keeps them), without importing Flask or SQLAlchemy.
"""

SLUG = 40
STUDY_TITLE = 200
RELATION = 40
RELATION_LABEL = 80
PERSONA_KEY = 40
PERSONA_NAME = 60
PERSONA_AVATAR = 20
SUGGESTION_TEXT = 300
ITEM_KEY = 60
ANSWER_TEXT = 200
COMMENT = 1000
