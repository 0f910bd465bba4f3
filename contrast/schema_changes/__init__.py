"""The chapter's "Database Upgrade and Downgrade Workflow" on a database in use, with both tools.

Each scenario (scenarios.py) changes the chapter's models in throwaway copies (copies.py) of a
Django app and of the 2024 Flask twin, generates the migration with `makemigrations` and
`flask db migrate`, applies it to users and posts, checks the data, downgrades and checks again
(run.py). `make schema-changes` prints the table; docs/schema-changes.md shows the files.
"""
