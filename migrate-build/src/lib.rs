//! Build-time checks for PostgreSQL migrations.
