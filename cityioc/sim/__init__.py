"""The simulator: the city's sensors made alive, for the demo, load tests and history.

``fleet`` reads sensors from NGSI-LD entities (and scales them up with synthetic clones),
``climate`` and ``models`` say what each type reports when, ``scenarios`` and ``effects`` make
named events happen, ``engine`` produces the readings of a time window, ``simulator`` ticks in
real time and takes scenario triggers, ``backfill`` writes history, ``publishers``/``mqtt`` deliver.
See docs/simulator.md.
"""
