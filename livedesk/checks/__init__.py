"""What measures and checks the product, kept apart from it: ``livedesk bench NAME`` (the
harness in ``bench`` and one module per benchmark) and ``livedesk self-test``.

It may import any layer (the UI benchmarks drive real widgets offscreen); nothing in
``models``, ``services`` or ``ui`` imports it.
"""
