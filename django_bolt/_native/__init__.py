"""The native seam: everything that knows libbolt.so exists.

``library`` loads the library (lazily, in the process that serves) and declares its C
functions; ``wire`` is the one Python home of the record format Go and Python exchange
(layouts, kinds, content-type codes, route flags, method codes). Its Go twin is
libbolt/bridge; docs/bridge.md describes both.
"""
