"""capdesk: the counter-side desktop tool for Capillary loyalty programmes."""

__version__ = "0.1.0"
APP_NAME = "capdesk"
