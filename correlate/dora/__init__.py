"""DORA delivery: linkage you can audit (``linkage``), repo/service ownership, the benchmark tiers (``tiers``)
and the deployments export. The DORA metrics themselves are catalogue metrics (``correlate.metrics``)."""
