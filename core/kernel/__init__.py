"""What every capability stands on: configuration, database, models, errors, texts, audit, crypto."""
