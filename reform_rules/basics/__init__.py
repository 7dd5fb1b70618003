"""What every stage shares: dates, error records, personal-number checks."""
