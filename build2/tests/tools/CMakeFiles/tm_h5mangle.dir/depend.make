# Empty dependencies file for tm_h5mangle.
# This may be replaced when dependencies are built.
