"""Loyalty that customers can spend and follow-ups can carry, and tests of what works.

``perks``: the catalogue points buy, redeeming and the owner's undo (ledger entries only);
``coupons``: batches and codes, issued once; ``coupon_usage``: which orders used a code,
learned from imports, and the dashboard's figures per rule; ``experiments`` with
``stats``: A/B tests of a follow-up rule's template or coupon; ``task_hooks``: what a new
follow-up task gets from these (a variant, a code). ``errors`` holds the refusal type.
"""
