"""Planning, development and operations (SRM ch.4): incidents, CSIRT, contingency plans and
drills; later configuration management, changes and releases."""
