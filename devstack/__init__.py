"""The local stack: the whole application on one machine, on an emulated AWS, no account and no Docker."""
