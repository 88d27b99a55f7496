"""The panes of the incident screen: one widget per pane, its styles in ``cockpit.tcss``."""
