"""Widgets and the flows that wire them, by feature. No HTTP and no store here: the
window talks only to :class:`capdesk.services.DeskService`, through tasks."""
