"""Screens of the cockpit: the incident, the list, declaring, comms, help and small dialogs."""
