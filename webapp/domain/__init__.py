"""The domain core: shirts, designs, suggestions, conformity, scoring and rendering.

Nothing in this package imports Flask or SQLAlchemy, so every rule of a study can be
tested (and reused by the simulator) without a web server or a database.
"""
