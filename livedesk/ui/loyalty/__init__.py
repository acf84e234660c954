"""Loyalty in the UI: the 兑换 dialog (customer page, live console), the perk catalogue and
coupon batches in 设置, the A/B tests dialog (跟进), the coupon figures card (看板).

Each page that shows one of these adds it with one line (a button or a box made here), so
the pages' own files stay theirs.
"""
