"""Platform order sync: a second way in beside export files.

``douyin_api`` speaks 抖店's open platform (signing, paging, errors); ``douyin`` turns the
orders it returns into an import through the file importer, so the same value rules
(withheld buyers, unknown-buyer orders, export times) apply; ``credentials`` keeps the
app key and secret in the OS keyring.
"""
