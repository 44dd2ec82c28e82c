"""The process and server lifecycle: finding the APIs (``discovery``), start-up checks,
building the Go config (``serve``, ``observe``, ``protect``, ``ratelimit``), the serving loop
(``serve``, ``lifespan``), logging (``logs``) and the multi-worker ``supervisor`` and its
``worker`` processes.
"""
