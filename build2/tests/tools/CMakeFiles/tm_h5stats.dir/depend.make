# Empty dependencies file for tm_h5stats.
# This may be replaced when dependencies are built.
