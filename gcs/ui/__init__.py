"""The desktop face: PySide6 + pyqtgraph widgets over ``GcsService``.

Nothing in ``gcs.core`` imports this package. Core events reach the widgets only through
``qt_bridge.QtBridge`` (bus callbacks hopped onto the GUI thread); blocking service calls run on
``qt_runner.QtCommandRunner``. ``application.run_gui`` is the entry point.
"""
