"""The ``cockpit`` command line: scripting access to the same services the cockpit screen uses.

``main.py`` holds the root group and the entry point; each other module is one command group with its
``COMMANDS`` (``common.py``: what they share). A new group is a new module here plus one entry in
``main.GROUPS`` (the module's name and its commands' names: the module is imported only when one of them runs).
"""
