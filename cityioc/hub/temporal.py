"""NGSI-LD temporal semantics, pure and vectorised: import from here.

* ``temporal_params``: timerel / timeAt / endTimeAt, lastN, aggrMethods, aggrPeriodDuration.
* ``temporal_buckets``: where aggregation periods start and end.
* ``temporal_aggregate``: aggregation of raw samples per period.
* ``temporal_rollups``: rollup partials, and aggregation from them when periods align.

Typical flow for ``format=aggregatedValues``::

    rng = parse_timerel(timerel, timeAt, endTimeAt, timeproperty)
    methods = parse_aggr_methods(aggrMethods)
    period = parse_duration_ms(aggrPeriodDuration or "PT0S")
    span = aggregation_range(rng, times)          # None: nothing to aggregate
    buckets = bucket_starts(*span, period)
    if numeric series and rollups_can_answer(buckets, methods, width):
        result = aggregate_from_rollups(starts, partials, width, buckets, methods)
    else:
        result = aggregate_samples(times, values, buckets, methods)
"""

from __future__ import annotations

from cityioc.hub.temporal_aggregate import (
    NUMERIC_METHODS,
    Aggregated,
    aggregate_samples,
    last_n,
    numeric_view,
    select_range,
)
from cityioc.hub.temporal_buckets import (
    MAX_BUCKETS,
    BucketList,
    Buckets,
    add_months,
    aggregation_range,
    bucket_starts,
    iso_ms_list,
)
from cityioc.hub.temporal_params import (
    AGGREGATION_METHODS,
    TIME_PROPERTIES,
    Duration,
    TimeRange,
    parse_aggr_methods,
    parse_datetime_ms,
    parse_duration_ms,
    parse_last_n,
    parse_timerel,
)
from cityioc.hub.temporal_rollups import (
    Partial,
    Partials,
    aggregate_from_rollups,
    bucket_of,
    combine,
    merge_partials,
    partials_from_samples,
    rollups_can_answer,
)

__all__ = [
    "AGGREGATION_METHODS",
    "MAX_BUCKETS",
    "NUMERIC_METHODS",
    "TIME_PROPERTIES",
    "Aggregated",
    "BucketList",
    "Buckets",
    "Duration",
    "Partial",
    "Partials",
    "TimeRange",
    "add_months",
    "aggregate_from_rollups",
    "aggregate_samples",
    "aggregation_range",
    "bucket_of",
    "bucket_starts",
    "combine",
    "iso_ms_list",
    "last_n",
    "merge_partials",
    "numeric_view",
    "parse_aggr_methods",
    "parse_datetime_ms",
    "parse_duration_ms",
    "parse_last_n",
    "parse_timerel",
    "partials_from_samples",
    "rollups_can_answer",
    "select_range",
]
