"""The live room understood: what viewers ask and want during a broadcast (``questions``),
complaints turned into call-backs (``complaints``), the audience curve, run-of-show and
capture health (``audience``, ``run_of_show``, ``health``) and the report afterwards (``report``).
"""
