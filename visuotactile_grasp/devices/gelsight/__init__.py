"""GelSight optical tactile sensor: frame sources (webcam, video file, image folder)."""
