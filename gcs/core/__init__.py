"""The Qt-free, web-free core: everything the GUI and the API both stand on."""
