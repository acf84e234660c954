"""The product's logic: plain Python over a SQLAlchemy session. Never imports Qt."""
