# Empty dependencies file for tm_ftz.
# This may be replaced when dependencies are built.
