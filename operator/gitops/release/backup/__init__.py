"""spec.backup of a Release: schedules, the keep rule, off-site copies, their plan (pure)."""
