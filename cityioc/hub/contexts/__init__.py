"""JSON-LD @context documents shipped with cityioc (data only; see README.md for their origin)."""
