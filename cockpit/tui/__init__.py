"""The cockpit screen (Textual). It renders and dispatches; the rules live in ``cockpit.domain``."""
