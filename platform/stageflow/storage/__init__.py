"""Storage: opening the database, its connections and transactions, and the platform's own tables.

The lowest layer that touches a database: security, data and automation all build on it.
"""
