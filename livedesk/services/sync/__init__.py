"""Platform order sync: a second way in beside export files.

``douyin_api`` speaks 抖店's open platform (signing, paging, errors); ``douyin`` turns the
orders it returns into an import through the file importer, so the same value rules
(withheld buyers, unknown-buyer orders, export times) apply; ``douyin_auth`` holds the
shop's authorisation (a self-built app's token, a tool app's OAuth tokens); ``douyin_decrypt``
is the owner's 解密收件人; ``credentials`` keeps the app key and secret, and a tool app's
tokens, in the OS keyring.
"""
