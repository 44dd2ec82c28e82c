"""Registration-time compilation: what ``BoltAPI``/``Router`` turn a handler into.

``route`` holds the ``Route`` record every other layer passes around, ``plans`` the
per-argument extraction plans, ``models`` the response-model converters, ``uploads`` the
file-argument extractors and ``validation`` the 422 error shapes. Nothing here runs per
request except what it compiled.
"""
