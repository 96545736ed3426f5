"""API models by area: what clients send and what they are answered."""
