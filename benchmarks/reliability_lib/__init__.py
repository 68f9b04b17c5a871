"""Reliability checks shared by ``tests/reliability`` and ``python -m benchmarks.reliability``.

Each part is a function parameterised by counts and a seed that returns a dict of
figures (the keys the benchmark writes); the tests call the same functions with
small counts and assert the invariants.

- :mod:`.fuzz` -- every command that reads a user file, on generated bad inputs
- :mod:`.kill` -- ``kill -9`` of ``groundcode run`` at random moments, then resume
- :mod:`.concurrency` -- two ``groundcode run`` on one config at once
- :mod:`.review` -- coders posting decisions to ``groundcode review`` concurrently
"""
