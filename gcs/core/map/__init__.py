"""The map in the core: geodesy and tiles maths, the target ground estimate, the map model and its tracker."""
