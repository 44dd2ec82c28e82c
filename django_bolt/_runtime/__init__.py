"""The per-request runtime (the hot path): drain request records from Go (``dispatch``),
bind arguments (``binding``), run the handler, encode what it returns (``encoding``,
``jsonenc``), stream replies (``streaming``) and run ORM work off the event loop (``orm``).
"""
