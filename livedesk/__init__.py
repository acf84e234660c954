"""LiveDesk 直播客户工作台: the customer desk for live-stream selling teams."""

__version__ = "0.1.0"
