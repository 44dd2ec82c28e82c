"""The benchmark harness behind `bench/run.py`, one module per concern.

Imports run one way, top to bottom: `shell`, `workloads` and `targets` import nothing here;
`prepare` and `load` build on them; `report` on `load`; `compare` (the main section) and
`middleware` (`--section middleware`) on all of them; `run.py` only parses arguments.
"""
