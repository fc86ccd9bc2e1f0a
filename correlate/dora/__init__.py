"""DORA delivery metrics: linkage you can audit (``linkage``), metrics (``metrics``), tiers (``tiers``), export."""
